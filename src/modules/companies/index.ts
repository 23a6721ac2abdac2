/** See module.ts. */
export { companiesModule } from './module.js';
