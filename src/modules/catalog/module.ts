/** The public catalog of published images. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The catalog API module. */
export const catalogModule: ApiModule = { name: 'catalog', routes };
