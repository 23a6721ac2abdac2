/** Row types of the tables the accounts module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, Defaulted } from '../../platform/db/index.js';

/** Account state: unconfirmed until the e-mail link is used; inactive when deactivated. */
export type UserStatus = 'unconfirmed' | 'active' | 'inactive' | 'disabled';

/** A person with a login: partner users, org admins and program staff. */
export interface UsersTable {
  id: string;
  /** As registered; immutable. */
  login: string;
  /** `lower(login)`: logins are unique regardless of case. */
  login_key: string;
  email: string;
  /** scrypt hash; null for an invited user who has not set a password yet. */
  password_hash: string | null;
  greeting: string | null;
  first_name: Defaulted<string>;
  last_name: Defaulted<string>;
  suffix: string | null;
  position: string | null;
  department: string | null;
  phone: string | null;
  company_id: string | null;
  org_admin: Defaulted<DbBool>;
  staff: Defaulted<DbBool>;
  /** Whether the user gets notification e-mails (staff: work waiting; partners: scan results). */
  notify: Defaulted<DbBool>;
  status: UserStatus;
  email_confirmed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_access_at: Timestamp | null;
}

/** A single-use link sent by e-mail (confirmation, password reset, invitation). */
export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'confirm' | 'reset' | 'invite';
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: Timestamp;
  /** When a newer reset link or a password change made this unused link void. */
  voided_at: Timestamp | null;
}

/** A browser session (cookie); the token itself is only in the cookie. */
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

/** A personal API token for scripts and CI. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** One failed login, keyed `<login in lower case>|<client address>`; kept for the limit's window. */
export interface LoginFailuresTable {
  key: string;
  failed_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    users: UsersTable;
    email_tokens: EmailTokensTable;
    sessions: SessionsTable;
    api_tokens: ApiTokensTable;
    login_failures: LoginFailuresTable;
  }
}
