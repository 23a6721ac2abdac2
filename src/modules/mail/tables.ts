/** Row types of the tables the mail module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, JsonColumn, Defaulted } from '../../platform/db/index.js';

/** An e-mail waiting to be sent (written in the transaction of the change it reports). */
export interface OutboxTable {
  id: string;
  template: string;
  recipients: JsonColumn;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: Defaulted<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** When the text of the delivered message was removed (`mail.outboxRetentionHours`). */
  text_removed_at: Timestamp | null;
}

/** One request for an account e-mail, sent or held back by the limits (`mail.limit*`). */
export interface MailRequestsTable {
  /** `account.confirm`, `account.password_reset`, `company.user_invite`. */
  kind: string;
  /** The recipient's address, lower case (for a reset of an unknown account: what was typed). */
  target: string;
  /** `ip:<address>` of the client, or `company:<id>` for an invitation. */
  source: string;
  /** 1 when the e-mail was queued, 0 when a limit held it back or there was nobody to mail. */
  sent: DbBool;
  requested_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    outbox: OutboxTable;
    mail_requests: MailRequestsTable;
  }
}
