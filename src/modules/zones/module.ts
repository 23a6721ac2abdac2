/** Zones, their rules, and companies' requests for access. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The zones API module. */
export const zonesModule: ApiModule = { name: 'zones', routes };
