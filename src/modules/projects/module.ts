/** Certification projects over the API: fields, registry key, tree, approvals, checklist. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The projects API module. */
export const projectsModule: ApiModule = { name: 'projects', routes };
