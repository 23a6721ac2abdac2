/**
 * What grading needs to know of images. Images sit above health (they are graded as they are
 * scanned and published), so health asks through this interface, which the server composes from
 * the images, registry, projects and products modules.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { JobQueue } from '../../platform/queue/index.js';

/** An image whose grade fell, as its drop e-mail names it, and to whom the e-mail goes. */
export interface DropNotice {
  readonly id: string;
  /** `namespace/repository:tag`. */
  readonly image: string;
  readonly digest: string;
  /** The product's name, or the project's without a product. */
  readonly title: string;
  /** The product's contact list (empty: no e-mail). */
  readonly to: readonly string[];
}

/** The images side of grading. */
export interface GradedImages {
  /** Of the package sets `digests`, those some published image uses. */
  readonly publishedSets: (db: Kysely<DB>, digests: readonly string[]) => Promise<Set<string>>;
  /** The published images using each of the sets `digests` (a set none uses is left out). */
  readonly usingSets: (
    db: Kysely<DB>,
    digests: readonly string[],
  ) => Promise<Map<string, { id: string; published: boolean }[]>>;
  /** The published images using set `digest`, and image `also` whether published or not. */
  readonly usingSet: (
    db: Kysely<DB>,
    digest: string,
    also?: string,
  ) => Promise<{ id: string; published: boolean }[]>;
  /** The drop notices of images `ids`, in the order of their ids. */
  readonly dropNotices: (db: Kysely<DB>, ids: readonly string[]) => Promise<DropNotice[]>;
  /**
   * Told, in the grading transaction, of published images whose grade fell while they lack the
   * errata `advisories` (Critical and Important, with fixes): the builds module rebuilds them.
   */
  readonly errataDrop?: (
    trx: Kysely<DB>,
    queue: JobQueue,
    drop: { readonly imageIds: readonly string[]; readonly advisories: readonly string[] },
  ) => Promise<void>;
}
