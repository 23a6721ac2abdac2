/** Accounts: registration, confirmation, sessions, API tokens, the staff bootstrap, guards. */
export type * from './tables.js';
export {
  issueEmailToken,
  notifiedStaffEmails,
  notifiedMemberEmails,
  loginsOf,
  memberAndAdminEmails,
  orgAdminEmails,
  userView,
  type UserRow,
  type UserView,
} from './accounts.js';
export {
  authenticateRequest,
  CSRF_HEADER,
  findApiTokenUser,
  SESSION_COOKIE,
  type ApiTokenUser,
} from './auth.js';
export {
  createInvitedUser,
  loginTaken,
  setMemberStatus,
  setMembership,
  updateMember,
  type Invitee,
  type MemberChanges,
} from './members.js';
export { notifyStaff } from './notify-staff.js';
export { addressGuard, newAuthLimits, type AddressGuard } from './limits.js';
export { accountsModule, optionalText, text, UserSchema } from './routes.js';
export { hashPassword, hashSecret, newSecret } from './secrets.js';
export {
  createStaffAccount,
  ensureStaffAccount,
  FIRST_STAFF_LOGIN,
  listAccounts,
  resetPassword,
  type PasswordReset,
} from './operator.js';
export {
  ACTIVE_STATUSES,
  companyMembers,
  existingUser,
  findMember,
  findUser,
  usersByIds,
  hasOtherActiveOrgAdmin,
  INACTIVE_STATUSES,
  memberCounts,
  newestMembers,
  type MemberRow,
} from './company-members.js';
