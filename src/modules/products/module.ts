/** Partner products: fields, logo, versions, contacts, collateral. */
import type { ApiModule } from '../../platform/http/api.js';
import { productRoutes } from './routes.js';

/** The products API module. */
export const productsModule: ApiModule = { name: 'products', routes: productRoutes };
