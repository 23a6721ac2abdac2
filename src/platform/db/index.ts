/** The metadata database: open it, migrate it, and the portable helpers around it. */
export { openDatabase, describeTarget, type Database } from './open.js';
export type { Listening } from './listen.js';
export {
  migrateToLatest,
  assertSchemaNotNewer,
  schemaStatus,
  type SchemaStatus,
} from './migrator.js';
export {
  byteOrder,
  dialectOf,
  escapeLike,
  iLike,
  isUniqueViolation,
  jsonArrayLength,
  lockKey,
  notifyChannel,
  readJson,
  skipLocked,
  sqlNow,
  upsert,
  writeJson,
  type Dialect,
} from './dialect.js';
export { newId, toTimestamp } from './ids.js';
export { compareAndSetSetting, getSetting, setSetting, settingOrInit } from './settings.js';
export type * from './schema.js';
export { TABLES } from './schema.js';
export { IDS_PER_QUERY, mapByIds } from './by-ids.js';
