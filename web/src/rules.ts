/**
 * The account rules the server applies (src/modules/accounts: `LoginName`, `checkPassword`),
 * shown as the user types. The server stays the judge: its answer is shown beside the field.
 */

/** Shortest login (`MIN_LOGIN_LENGTH`). */
export const MIN_LOGIN_LENGTH = 5;
/** The default of `accounts.passwordMinLength` (an operator may require more). */
export const MIN_PASSWORD_LENGTH = 6;

/** One rule and whether a value meets it. */
export interface Rule {
  readonly text: string;
  readonly met: boolean;
}

/** The login rules for `login`. */
export function loginRules(login: string): Rule[] {
  return [
    { text: `At least ${MIN_LOGIN_LENGTH} characters`, met: login.length >= MIN_LOGIN_LENGTH },
    { text: 'At most 64 characters', met: login.length <= 64 },
    {
      text: 'Letters, digits, ".", "_", "@" and "-", starting with a letter or digit',
      met: /^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(login),
    },
  ];
}

/** The password rules for `password`. */
export function passwordRules(password: string): Rule[] {
  return [
    {
      text: `At least ${MIN_PASSWORD_LENGTH} characters`,
      met: [...password].length >= MIN_PASSWORD_LENGTH,
    },
  ];
}
