/** What every `hallmark admin` command shares: the storage, the services' context, the actor. */
import { userInfo } from 'node:os';
import type { Config } from '../../platform/config.js';
import { createBlobStore } from '../../platform/blobs/index.js';
import { migrateToLatest, openDatabase } from '../../platform/db/index.js';
import type { ApiContext } from '../../platform/http/api.js';
import { JobQueue, systemClock } from '../../platform/queue/index.js';
import { operatorActor, type Actor } from '../../platform/http/guards.js';
import { newAuthLimits } from '../../modules/accounts/index.js';
import { blobLedger } from '../../modules/registry/index.js';

/**
 * Opens the configured storage (creating or upgrading its schema), runs `fn` with the context
 * the API's services take, and closes it. Links point at `server.publicUrl`, else at
 * `http://localhost:<port>`.
 */
export async function withServices<T>(
  config: Config,
  fn: (ctx: ApiContext) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    return await fn({
      config,
      db: database.db,
      queue: new JobQueue(database.db, { clock: systemClock }),
      blobs: createBlobStore(config),
      blobLedger: blobLedger(database.db),
      clock: systemClock,
      links: { base: config.server.publicUrl ?? `http://localhost:${config.server.port}` },
      authLimits: newAuthLimits(config.accounts, systemClock),
    });
  } finally {
    await database.close();
  }
}

/**
 * The command line's actor, as the services take it: the operator, a staff principal whose
 * audit-log actor is `cli:<operating-system user>`.
 */
export function operator(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // Some containers run as a uid without a passwd entry.
  }
  return operatorActor(`cli:${name}`);
}
