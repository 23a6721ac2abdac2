/** Software access: requests per platform, grants, entitlements. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The software API module. */
export const softwareModule: ApiModule = { name: 'software', routes };
