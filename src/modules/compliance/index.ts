/** See module.ts. */
export { complianceModule } from './module.js';
