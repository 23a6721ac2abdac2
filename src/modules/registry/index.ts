/** The OCI registry: routes, operations, storage rules and garbage collection. */
export type * from './tables.js';
export {
  Registry,
  type ManifestDeletedHook,
  type RegistryOptions,
  type TaggedPush,
  type TaggedPushHook,
} from './registry.js';
export { registryRoutes, type RegistryRoutesOptions } from './routes.js';
export { sendRegistryNotFound } from './errors.js';
export { registryOpenApi } from './openapi.js';
export { loadTokenSecret, TokenSigner } from './tokens.js';
export { collectGarbage, type GcOptions, type GcReport } from './gc.js';
export { loadImageManifest, type ImageManifest } from './stored-image.js';
export {
  blobLedger,
  deleteTagAt,
  findRepositoryById,
  repositoryNamesOf,
  tagsAt,
  type RepositoryRef,
} from './store.js';
export type { PublishedImage, PublishedImagesSource } from './published.js';
export { findRepository } from './store.js';
export { isRepositoryName } from './names.js';
