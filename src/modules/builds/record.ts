/** What an image shows of the build that made it (`GET /images/:id`). */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';

/** The build an image came from. */
export interface ImageBuild {
  readonly id: string;
  readonly commit: string | null;
  readonly dockerfile: string;
  readonly baseImage: string | null;
  readonly baseDigest: string | null;
}

/** The newest build that pushed image `imageId`, or null when Hallmark did not build it. */
export async function imageBuildOf(db: Kysely<DB>, imageId: string): Promise<ImageBuild | null> {
  const row = await db
    .selectFrom('builds')
    .select(['id', 'commit', 'dockerfile', 'base_image', 'base_digest'])
    .where('image_id', '=', imageId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined
    ? null
    : {
        id: row.id,
        commit: row.commit,
        dockerfile: row.dockerfile,
        baseImage: row.base_image,
        baseDigest: row.base_digest,
      };
}
