/** See module.ts. */
export { catalogModule } from './module.js';
