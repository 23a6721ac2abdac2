/** Zones, their rules, and companies' access to them. */
export type * from './tables.js';
export { zonesModule } from './module.js';
export {
  loadZone,
  SEEDED_ZONE,
  stringList,
  zoneForCompany,
  zoneNamesOf,
  type ZoneRules,
} from './service.js';
export { defaultScanRules, zoneScanRules, type ScanRules } from './settings.js';
