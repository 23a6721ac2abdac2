/**
 * Callers for tests that use a module's functions directly, without the HTTP layer: who the
 * functions are told is asking.
 */
import { newId } from '../../src/platform/db/index.js';
import type { Actor } from '../../src/platform/http/guards.js';

/** An org admin of company `companyId`, calling with an API token. */
export function orgAdminOf(companyId: string, login = `admin-${companyId}`): Actor {
  return {
    user: {
      id: newId(),
      login,
      email: `${login}@example.com`,
      companyId,
      orgAdmin: true,
      staff: false,
      via: 'token',
    },
    ip: undefined,
  };
}
