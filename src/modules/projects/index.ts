/** Companies, certification projects, registry namespaces and registry keys. */
export {
  createCompany,
  createProject,
  findCompanyByName,
  findProject,
  findProjectByKey,
  findProjectByNamespace,
  rotateRegistryKey,
  type Company,
  type CreatedProject,
  type Project,
} from './projects.js';
export { hashRegistryKey, newRegistryKey } from './registry-key.js';
export { projectsModule } from './module.js';
export { assertProjectNameFree, insertProject, type ProjectDetails } from './projects.js';
export { projectChecklist } from './checklist.js';
export { notifyIfApprovalDue } from './approval.js';
export { ownedProject, visibleProject } from './service.js';
