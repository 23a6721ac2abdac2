/** Images of projects: recorded on push, scanned by a job, published by the portal. */
export type * from './tables.js';
export {
  findImage,
  hasPublishedImage,
  publishedImagesOf,
  recordPushedImage,
  unpublishDeletedManifest,
  setPublished,
  type ImageRow,
} from './images.js';
export { readPackages, readScan, type StoredPackage, type StoredScan } from './report.js';
export {
  prepareScanProcess,
  removeStaleScanDirs,
  scanImageJob,
  scanTempRoot,
  type ScanJobDeps,
} from './scan-job.js';
export { imagesModule, type ImagesPorts } from './module.js';
export { rescanWaitingForVulndb } from './service.js';
export { AssessmentSchema, PackageSchema } from './schemas.js';
export {
  imageLabels,
  imagesUsingSet,
  imagesUsingSets,
  publishedSetsAmong,
  type ImageLabel,
} from './graded.js';
export { projectImageFacts } from './project-images.js';
export { findPushedImage } from './images.js';
