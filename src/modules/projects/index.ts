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
