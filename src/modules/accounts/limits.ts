/**
 * The limits on credential checks (see docs/security.md): failures per client address,
 * counted in memory, refuse further checks from that address with 429 before any lookup or
 * hashing; and password hashing runs through a bounded gate, so a flood of logins cannot take
 * every thread of libuv's pool from the registry's file reads. Both are per replica.
 */
import type { Config } from '../../platform/config.js';
import { tooManyRequests } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import type { Clock } from '../../platform/queue/index.js';
import {
  addressKey,
  FailureLimiter,
  WorkGate,
  type AuthLimits,
} from '../../platform/rate-limit.js';

/** Client addresses remembered at most; the least recently failed is forgotten first. */
export const MAX_LIMITED_ADDRESSES = 100_000;

/** Builds the limits of one process from `accounts.*` settings. */
export function newAuthLimits(accounts: Config['accounts'], clock: Clock): AuthLimits {
  // A flood is refused by the hundred: one warning a minute says how many.
  let refused = 0;
  let loggedAt = -Infinity;
  const noteBusy = () => {
    refused += 1;
    const now = clock.now().getTime();
    if (now - loggedAt >= 60_000) {
      log.warn('auth', 'password checks refused: too many waiting', {
        refused,
        atOnce: accounts.passwordChecksAtOnce,
        queued: accounts.passwordChecksQueued,
      });
      refused = 0;
      loggedAt = now;
    }
  };
  return {
    failures: new FailureLimiter({
      maxFailures: accounts.authFailuresPerAddress,
      windowMs: accounts.authFailureWindowMinutes * 60_000,
      maxKeys: MAX_LIMITED_ADDRESSES,
      clock,
    }),
    passwordHashes: new WorkGate({
      concurrency: accounts.passwordChecksAtOnce,
      queue: accounts.passwordChecksQueued,
      busy: () => {
        noteBusy();
        return tooManyRequests('auth.busy', 'Too many logins at once; try again in a second.', 1);
      },
    }),
  };
}

/** The credential checks of one client address. */
export interface AddressGuard {
  /**
   * Refuses the check when the address has failed too often.
   * @throws AppError `auth.rate_limited` (429, `detail.retryAfterSeconds`)
   */
  refuseIfBlocked(): void;
  /** Counts a failed check (`what` failed: `password`, `api_token`, `registry_key`). */
  failed(what: string): void;
}

/** The guard of the address `ip` (`request.ip`, which honours `server.trustProxy`). */
export function addressGuard(limits: AuthLimits, ip: string | undefined): AddressGuard {
  const key = addressKey(ip);
  return {
    refuseIfBlocked() {
      const retryAfterSeconds = limits.failures.retryAfterSeconds(key);
      if (retryAfterSeconds !== undefined) {
        throw tooManyRequests(
          'auth.rate_limited',
          `Too many failed attempts from your address; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
          retryAfterSeconds,
        );
      }
    },
    failed(what) {
      const count = limits.failures.record(key);
      if (count.blockedNow) {
        // Once per address and window: the flood itself is not logged line by line.
        log.warn('auth', 'address blocked after failed credential checks', {
          address: key,
          failures: count.failures,
          last: what,
        });
      }
    },
  };
}
