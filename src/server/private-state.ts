/**
 * At start, the data directory, the blob store and the mail directory become private to the
 * server's user. Only directories are changed: without the right to enter a directory nobody
 * else can open a file inside it, whatever the file's own mode, so millions of blobs are not
 * visited one by one. New files are created 0600 anyway.
 */
import type { Config } from '../platform/config.js';
import { storeDirectories } from '../platform/blobs/index.js';
import { describeError } from '../platform/errors.js';
import { log } from '../platform/logger.js';
import { makePrivateDir, tighten, type Tightened } from '../platform/private-files.js';

/**
 * Creates the data and blob directories 0700 and takes group and other permissions off them and
 * off the store's and the mail's subdirectories. A directory the server may not change (another
 * user's) is logged, not fatal.
 */
export async function makeStatePrivate(config: Config): Promise<void> {
  // Blobs in S3 have no directory here.
  const blobs = config.blobs.driver === 'fs' ? config.blobs.dir : undefined;
  for (const dir of blobs === undefined ? [config.dataDir] : [config.dataDir, blobs]) {
    await attempt(dir, () => makePrivateDir(dir));
  }
  const stores = blobs === undefined ? [] : storeDirectories(blobs);
  for (const dir of [...stores, config.mail.dir]) {
    await attempt(dir, () => tighten(dir));
  }
}

async function attempt(dir: string, change: () => Promise<Tightened | undefined>): Promise<void> {
  try {
    const changed = await change();
    if (changed !== undefined) {
      log.warn('config', 'a data directory was open to other users: permissions taken away', {
        ...changed,
      });
    }
  } catch (err) {
    log.warn('config', 'could not make a data directory private', {
      path: dir,
      error: describeError(err),
    });
  }
}
