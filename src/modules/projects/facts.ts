/**
 * What the projects module asks of the modules above it (products, images, builds) — their tables are
 * theirs to read. The server composes the answer (`src/server/ports.ts`) from those modules'
 * public functions and passes it in.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';

/** What a project's view, its opening and its checklist need to know of its product. */
export interface ProductFacts {
  readonly id: string;
  readonly companyId: string;
  readonly name: string;
  /** The overview is not blank. */
  readonly hasOverview: boolean;
  /** The description is not blank. */
  readonly hasDescription: boolean;
  /** How many product types, contact e-mails and collateral documents it has. */
  readonly productTypes: number;
  readonly contacts: number;
  readonly collateral: number;
  readonly versions: readonly { readonly id: string; readonly version: string }[];
}

/** The tag and digest of an image. */
export interface PassedImage {
  readonly tag: string;
  readonly digest: string;
}

/** What the projects list and the checklist need to know of a project's images. */
export interface ProjectImageFacts {
  /** How many images the project has, removed ones left out. */
  readonly count: number;
  /** The newest image of the project that passed its scan and is not removed. */
  readonly passed: PassedImage | undefined;
}

/** What the checklist needs to know of a project's Automated Build Service. */
export interface ProjectBuildFacts {
  /** A git source is set: Hallmark builds the project's image from it. */
  readonly gitSource: boolean;
  /** Hallmark rebuilds the image by itself when its base or its packages get updates. */
  readonly autoRebuild: boolean;
}

/** The port: facts of products, images and builds that projects show and check. */
export interface ProjectFacts {
  /** Products by id, with their versions (ids of no product are left out). */
  products(db: Kysely<DB>, ids: readonly string[]): Promise<Map<string, ProductFacts>>;
  /**
   * The image facts of projects by id, from a fixed number of queries however many projects
   * there are (every id asked is in the map; a project without images counts 0).
   */
  images(db: Kysely<DB>, projectIds: readonly string[]): Promise<Map<string, ProjectImageFacts>>;
  /**
   * The Build Service facts of projects by id, from a fixed number of queries however many
   * projects there are (a project whose Build Service was never opened may be missing).
   */
  builds(db: Kysely<DB>, projectIds: readonly string[]): Promise<Map<string, ProjectBuildFacts>>;
}
