/** Partner products: what other modules may call. */
export type * from './tables.js';
export { productsModule } from './module.js';
export {
  productContacts,
  productForCompany,
  productNamesAndContacts,
  shownLogo,
  type ProductRow,
  type ProductsPorts,
} from './service.js';
export { hasCollateral } from './files.js';
export { productFacts } from './facts.js';
export { PRODUCT_LIMITS, PRODUCT_TYPES } from './schemas.js';
