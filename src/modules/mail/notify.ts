/**
 * Notifications: short e-mails telling people that something waits for them, each with a link to
 * it in the portal. Staff get one for every new request or answer they have to look at; whoever
 * turned `notify` off gets none. Account e-mails (confirmation, reset, decisions on a request)
 * are not notifications and always go out.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config.js';
import type { DB } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';
import { enqueueMail } from './outbox.js';

/** What sending a notification needs; an `ApiContext` is one. */
export interface NotifyContext {
  readonly queue: JobQueue;
  readonly config: { readonly mail: Pick<Config['mail'], 'staffAddress'> };
  /** The portal's base URL (`server.publicUrl`, or the listening address). */
  readonly links: { readonly base: string };
}

/** One notification. */
export interface Notification {
  /** Names the kind of message in the outbox (`staff.zone_request`…). */
  readonly template: string;
  readonly subject: string;
  /** What happened, in a few lines; the link follows it. */
  readonly text: string;
  /** Path of the thing in the portal, from its root: `/zone-requests/<id>`. */
  readonly path: string;
}

/** Queues a notification to the given addresses (already filtered by their owners' choice). */
export async function notify(
  trx: Kysely<DB>,
  ctx: NotifyContext,
  to: readonly string[],
  notification: Notification,
): Promise<void> {
  await enqueueMail(trx, ctx.queue, {
    template: notification.template,
    to,
    subject: notification.subject,
    text: `${notification.text.trimEnd()}\n\n${portalLink(ctx, notification.path)}\n`,
  });
}

/** The absolute URL of a portal path. */
export function portalLink(ctx: Pick<NotifyContext, 'links'>, path: string): string {
  return `${ctx.links.base}${path.startsWith('/') ? '' : '/'}${path}`;
}
