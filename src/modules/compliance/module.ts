/** Export compliance: the questionnaire and the staff decision. */
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';

function routes(_api: Api, _ctx: ApiContext): void {
  // Filled in by the module's own work.
}

/** The compliance API module. */
export const complianceModule: ApiModule = { name: 'compliance', routes };
