/** Partner products: fields, logo, versions, contacts, collateral. */
import type { ApiModule } from '../../platform/http/api.js';
import { productRoutes } from './routes.js';
import type { ProductsPorts } from './service.js';

/** The products API module, with what it needs from the modules above it. */
export function productsModule(ports: ProductsPorts): ApiModule {
  return { name: 'products', routes: (api, ctx) => productRoutes(api, ctx, ports) };
}
