/** See module.ts. */
export { softwareModule } from './module.js';
