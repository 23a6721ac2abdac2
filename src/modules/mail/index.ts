/** E-mail: the transactional outbox, its delivery job and the transports. */
export type * from './tables.js';
export {
  enqueueMail,
  enqueueMails,
  removeDeliveredText,
  REMOVED_TEXT,
  type Mail,
} from './outbox.js';
export {
  checkMailSource,
  checkMailTarget,
  ipSource,
  mailTargetAllows,
  recentMailCount,
  recordMailRequest,
  type LimitedMailKind,
  type MailLimits,
  type MailSource,
} from './limits.js';
export { createMailSender, verifyMailTransport, type MailSender } from './transport.js';
export { mailJob } from './job.js';
export { mailModule } from './module.js';
export { notify, portalLink, type Notification, type NotifyContext } from './notify.js';
