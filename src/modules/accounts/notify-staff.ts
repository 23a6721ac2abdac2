/**
 * Staff notifications: the mail module sends, the accounts module knows who staff are and who
 * wants to be told.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { notify, type Notification, type NotifyContext } from '../mail/index.js';
import { notifiedStaffEmails } from './accounts.js';

/**
 * Queues a notification to the configured staff address and every active staff user who wants
 * them, inside `trx` (nothing goes out if the change rolls back). Nobody to tell: nothing queued.
 */
export async function notifyStaff(
  trx: Kysely<DB>,
  ctx: NotifyContext,
  notification: Notification,
): Promise<void> {
  const to = await notifiedStaffEmails(trx);
  if (ctx.config.mail.staffAddress !== undefined) {
    to.unshift(ctx.config.mail.staffAddress);
  }
  await notify(trx, ctx, to, notification);
}
