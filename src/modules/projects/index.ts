/** Companies, certification projects, registry namespaces and registry keys. */
export type * from './tables.js';
export {
  createProject,
  findProject,
  findProjectByKey,
  findProjectByNamespace,
  findProjects,
  projectIdsOf,
  rotateRegistryKey,
  type CreatedProject,
  type Project,
} from './projects.js';
export { hashRegistryKey, newRegistryKey } from './registry-key.js';
export { projectsModule, type ProjectsPorts } from './module.js';
export type {
  PassedImage,
  ProductFacts,
  ProjectBuildFacts,
  ProjectFacts,
  ProjectImageFacts,
} from './facts.js';
export { assertProjectNameFree, insertProject, type ProjectDetails } from './projects.js';
export { certificationGaps, projectChecklist, type CertificationGap } from './checklist.js';
export {
  allProjects,
  ownedProject,
  registerProject,
  rotateKey,
  visibleProject,
} from './service.js';
export type { ProjectView } from './schemas.js';
export { notifyIfApprovalDue } from './approval.js';
export {
  issuePushKey,
  revokePushKey,
  type IssuedPushKey,
  type ProjectPushKeysTable,
} from './push-keys.js';
export { setAutoPublish } from './projects.js';
