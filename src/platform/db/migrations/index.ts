/**
 * Every migration of this build, listed statically so the migrator works from `dist/` and from a
 * bundle alike (no directory scanning). Names sort in time order; append, never edit.
 */
import type { Migration } from 'kysely';
import * as registryTables from './2026-11-28T0800_registry_tables.js';
import * as registryLinks from './2026-11-28T1000_registry_links.js';
import * as portal from './2026-11-28T1100_portal.js';
import * as health from './2026-11-28T1300_health.js';
import * as catalogIndexes from './2026-11-28T1310_catalog_indexes.js';
import * as packageSets from './2026-11-28T1400_package_sets.js';
import * as loginFailures from './2026-11-28T1410_login_failures.js';
import * as companyLogo from './2026-11-28T1420_company_logo.js';
import * as certificationRules from './2026-12-05T0900_certification_rules.js';
import * as mailNotify from './2026-12-05T0930_mail_notify.js';
import * as uploadOwner from './2026-12-05T1500_upload_owner.js';
import * as outboxRetention from './2026-12-05T1510_outbox_retention.js';
import * as emailTokenVoid from './2026-12-05T2100_email_token_void.js';
import * as mailRequests from './2026-12-05T2110_mail_requests.js';
import * as builds from './2026-12-06T2200_builds.js';
import * as rebuilds from './2026-12-07T0900_rebuilds.js';
import * as buildDispatch from './2026-12-07T1000_build_dispatch.js';
import * as layerIndexes from './2026-12-08T0900_layer_indexes.js';

/** The migrations this build knows, by name. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026-11-28T0800_registry_tables': registryTables,
  '2026-11-28T1000_registry_links': registryLinks,
  '2026-11-28T1100_portal': portal,
  '2026-11-28T1300_health': health,
  '2026-11-28T1310_catalog_indexes': catalogIndexes,
  '2026-11-28T1400_package_sets': packageSets,
  '2026-11-28T1410_login_failures': loginFailures,
  '2026-11-28T1420_company_logo': companyLogo,
  '2026-12-05T0900_certification_rules': certificationRules,
  '2026-12-05T0930_mail_notify': mailNotify,
  '2026-12-05T1500_upload_owner': uploadOwner,
  '2026-12-05T1510_outbox_retention': outboxRetention,
  '2026-12-05T2100_email_token_void': emailTokenVoid,
  '2026-12-05T2110_mail_requests': mailRequests,
  '2026-12-06T2200_builds': builds,
  '2026-12-07T0900_rebuilds': rebuilds,
  '2026-12-07T1000_build_dispatch': buildDispatch,
  '2026-12-08T0900_layer_indexes': layerIndexes,
};
