/**
 * Limits on account e-mail (registration, password reset, invitation), so the portal cannot be
 * used to flood a mailbox: at most `mail.limitPerAddress` e-mails of one kind to one address and
 * `mail.limitPerSource` requests from one client address (or inviting company) per
 * `mail.limitWindowMinutes`. Requests are rows in `mail_requests`, counted in the database so the
 * limits hold across every server replica. Two replicas counting at the same instant may each let
 * one more through; the limits bound a flood, they are not an exact quota.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.js';
import type { DB } from '../../platform/db/index.js';
import { type AppError, tooManyRequests } from '../../platform/errors.js';

/** The limited kinds of e-mail (their outbox templates). */
export type LimitedMailKind = 'account.confirm' | 'account.password_reset' | 'company.user_invite';

/** The settings the limits read. */
export type MailLimits = Pick<
  Config['mail'],
  'limitPerAddress' | 'limitPerSource' | 'limitWindowMinutes'
>;

/** Who asked for an e-mail: `ip:<address>` or `company:<id>`. */
export type MailSource = `ip:${string}` | `company:${string}`;

/** The source of a request made from `ip` (unknown addresses share one bucket). */
export function ipSource(ip: string | undefined): MailSource {
  return `ip:${ip ?? 'unknown'}`;
}

/**
 * How many requests match since `since`: of one kind to one target (only those sent), or from
 * one source (sent or not, every kind); `oldest` is when the earliest of them was made.
 */
export async function recentMailCount(
  db: Kysely<DB>,
  of: { kind: LimitedMailKind; target: string } | { source: MailSource },
  since: Date,
): Promise<{ count: number; oldest: Date | undefined }> {
  let query = db
    .selectFrom('mail_requests')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('requested_at').as('oldest')])
    .where('requested_at', '>', since.toISOString());
  query =
    'source' in of
      ? query.where('source', '=', of.source)
      : query
          .where('kind', '=', of.kind)
          .where('target', '=', of.target.toLowerCase())
          .where('sent', '=', 1);
  const row = await query.executeTakeFirstOrThrow();
  return {
    count: Number(row.n),
    oldest: row.oldest === null ? undefined : new Date(String(row.oldest)),
  };
}

/**
 * Refuses a request from a source that used up its allowance in the window.
 * @throws AppError `mail.rate_limited` (429) with `detail.retryAfterSeconds`
 */
export async function checkMailSource(
  db: Kysely<DB>,
  limits: MailLimits,
  source: MailSource,
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - limits.limitWindowMinutes * 60_000);
  const recent = await recentMailCount(db, { source }, since);
  if (recent.count >= limits.limitPerSource) {
    throw rateLimited(limits, recent.oldest, now);
  }
}

/**
 * Refuses an e-mail to a target that got its allowance of this kind in the window; for requests
 * whose answer may tell (registration, invitation), unlike a password reset.
 * @throws AppError `mail.rate_limited` (429) with `detail.retryAfterSeconds`
 */
export async function checkMailTarget(
  db: Kysely<DB>,
  limits: MailLimits,
  kind: LimitedMailKind,
  target: string,
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - limits.limitWindowMinutes * 60_000);
  const recent = await recentMailCount(db, { kind, target }, since);
  if (recent.count >= limits.limitPerAddress) {
    throw rateLimited(limits, recent.oldest, now);
  }
}

/** The 429 error; the caller may ask again when its oldest request in the window leaves it. */
function rateLimited(limits: MailLimits, oldest: Date | undefined, now: Date): AppError {
  const end = (oldest ?? now).getTime() + limits.limitWindowMinutes * 60_000;
  const retryAfterSeconds = Math.max(1, Math.ceil((end - now.getTime()) / 1000));
  return tooManyRequests(
    'mail.rate_limited',
    `Too many e-mails were asked for; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
    retryAfterSeconds,
  );
}

/** Whether `target` may get another e-mail of `kind` now (fewer than the limit in the window). */
export async function mailTargetAllows(
  db: Kysely<DB>,
  limits: MailLimits,
  kind: LimitedMailKind,
  target: string,
  now: Date,
): Promise<boolean> {
  const since = new Date(now.getTime() - limits.limitWindowMinutes * 60_000);
  const recent = await recentMailCount(db, { kind, target }, since);
  return recent.count < limits.limitPerAddress;
}

/**
 * Records one request, sent or held back, and forgets requests older than the window. Call it
 * in the transaction that queues the e-mail.
 */
export async function recordMailRequest(
  db: Kysely<DB>,
  limits: MailLimits,
  request: { kind: LimitedMailKind; target: string; source: MailSource; sent: boolean },
  now: Date,
): Promise<void> {
  await db
    .insertInto('mail_requests')
    .values({
      kind: request.kind,
      target: request.target.toLowerCase(),
      source: request.source,
      sent: request.sent ? 1 : 0,
      requested_at: now.toISOString(),
    })
    .execute();
  const cutoff = new Date(now.getTime() - limits.limitWindowMinutes * 60_000).toISOString();
  await db.deleteFrom('mail_requests').where('requested_at', '<=', cutoff).execute();
}
