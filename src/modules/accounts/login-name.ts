/** The rule for logins, shared by registration (the API) and `hallmark admin create-staff`. */
import { z } from 'zod';
import { MIN_LOGIN_LENGTH } from './accounts.js';

/** A login: at least `MIN_LOGIN_LENGTH` characters of letters, digits, ".", "_", "@" and "-". */
export const LoginName = z
  .string()
  .min(MIN_LOGIN_LENGTH, `A login has at least ${MIN_LOGIN_LENGTH} characters`)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'A login uses letters, digits, ".", "_", "@" and "-"');
