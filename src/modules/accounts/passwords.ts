/**
 * Password hashing as the services use it: at the configured cost and through the process's
 * bounded gate (`accounts.passwordChecksAtOnce` / `passwordChecksQueued`).
 */
import { describeError } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { log } from '../../platform/logger.js';
import { hashPassword, passwordCost, verifyPassword } from './secrets.js';

type PasswordContext = Pick<ApiContext, 'config' | 'authLimits'>;

/**
 * Hashes a new password at `accounts.scryptCost`.
 * @throws AppError `auth.busy` (429) when too many hashes wait already
 */
export function hashUserPassword(ctx: PasswordContext, password: string): Promise<string> {
  return ctx.authLimits.passwordHashes.run(() =>
    hashPassword(password, ctx.config.accounts.scryptCost),
  );
}

/**
 * Checks a password against a stored hash (with the hash's own parameters).
 * @throws AppError `auth.busy` (429) when too many hashes wait already
 */
export function verifyUserPassword(
  ctx: PasswordContext,
  password: string,
  stored: string | null,
): Promise<boolean> {
  return ctx.authLimits.passwordHashes.run(() =>
    verifyPassword(password, stored, ctx.config.accounts.scryptCost),
  );
}

/**
 * After a successful check: replaces a hash made at a lower cost than `accounts.scryptCost`, unless
 * the password changed meanwhile. Best effort: a busy gate or a failure leaves the old hash.
 */
export async function upgradePasswordHash(
  ctx: PasswordContext & Pick<ApiContext, 'db'>,
  user: { id: string; password_hash: string | null },
  password: string,
): Promise<void> {
  const cost = passwordCost(user.password_hash);
  if (user.password_hash === null || cost === undefined || cost >= ctx.config.accounts.scryptCost) {
    return;
  }
  try {
    const hash = await hashUserPassword(ctx, password);
    await ctx.db
      .updateTable('users')
      .set({ password_hash: hash })
      .where('id', '=', user.id)
      .where('password_hash', '=', user.password_hash)
      .execute();
    log.info('auth', 'password hash upgraded', {
      userId: user.id,
      from: cost,
      to: ctx.config.accounts.scryptCost,
    });
  } catch (err) {
    log.warn('auth', 'password hash upgrade skipped', {
      userId: user.id,
      error: describeError(err),
    });
  }
}
