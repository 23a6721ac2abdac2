/** Companies: search, join requests, registration, profile, program agreement, users. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The companies API module. */
export const companiesModule: ApiModule = { name: 'companies', routes };
