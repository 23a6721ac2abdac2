/** Images of a project over the API: the container information table, scan details, publish. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The images API module. */
export const imagesModule: ApiModule = { name: 'images', routes };
