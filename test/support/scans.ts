/** Waiting for the server's scan worker in tests: polls the `images` table, 30 s at most. */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../src/platform/db/index.js';
import type { ImagesTable } from '../../src/modules/images/index.js';

const POLLS = 600;
const POLL_MS = 50;
const pause = () => new Promise((r) => setTimeout(r, POLL_MS));

/** The image pushed as `tag` in the project, once its newest scan ended. */
export async function waitForImage(
  db: Kysely<DB>,
  projectId: string,
  tag: string,
): Promise<Selectable<ImagesTable>> {
  for (let i = 0; i < POLLS; i += 1) {
    const row = await db
      .selectFrom('images')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('tag', '=', tag)
      .executeTakeFirst();
    if (row !== undefined && row.status !== 'scan_in_progress') {
      return row;
    }
    await pause();
  }
  throw new Error(`the scan of ${tag} did not finish`);
}

/** The image once its newest scan ended (and, with `after`, finished at another time). */
export async function waitForScan(
  db: Kysely<DB>,
  id: string,
  after?: string | null,
): Promise<Selectable<ImagesTable>> {
  for (let i = 0; i < POLLS; i += 1) {
    const row = await db
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (
      row.status !== 'scan_in_progress' &&
      (after === undefined || after === null || row.scanned_at !== after)
    ) {
      return row;
    }
    await pause();
  }
  throw new Error(`the scan of ${id} did not finish`);
}
