/** See module.ts. */
export { productsModule } from './module.js';
