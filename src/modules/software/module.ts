/** Software access: requests per platform, grants, entitlements. */
import type { ApiModule } from '../../platform/http/api.js';
import { softwareRoutes } from './routes.js';

/** The software API module. */
export const softwareModule: ApiModule = { name: 'software', routes: softwareRoutes };
