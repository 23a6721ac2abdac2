/** Companies: profiles and their completeness, membership, users and agreements. */
export type * from './tables.js';
export { companiesModule, type CompaniesPorts } from './module.js';
export {
  acceptanceOf,
  acceptancesAmong,
  acceptedAt,
  currentAgreement,
  ensureAgreement,
  findAgreement,
  PROGRAM_AGREEMENT,
  recordAcceptance,
  type Acceptor,
  type Agreement,
} from './agreements.js';
export { MANDATORY_PROFILE_FIELDS, profileCompleteness } from './profile.js';
export { companyProfileStatus, createCompanyAsStaff, loadCompany } from './service.js';
export { companyLogos, type PublishedVendorCheck, type StoredLogo } from './logo.js';
export { listCompanies, type CompanyListing } from './directory.js';
export {
  companiesByIds,
  companyExists,
  companyNamesOf,
  createCompany,
  findCompanyByName,
  type Company,
} from './records.js';
