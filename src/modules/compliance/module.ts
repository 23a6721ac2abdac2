/** Export compliance: the questionnaire and the staff decision. */
import type { ApiModule } from '../../platform/http/api.js';
import { complianceRoutes } from './routes.js';

/** The compliance API module. */
export const complianceModule: ApiModule = { name: 'compliance', routes: complianceRoutes };
