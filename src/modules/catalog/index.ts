/** The public catalog of published images. */
export { catalogImage, listCatalog, type CatalogQuery } from './catalog.js';
export { catalogModule } from './module.js';
