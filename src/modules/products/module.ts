/** Partner products: fields, logo, versions, contacts, collateral. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The products API module. */
export const productsModule: ApiModule = { name: 'products', routes };
