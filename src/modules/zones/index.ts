/** See module.ts. */
export { zonesModule } from './module.js';
