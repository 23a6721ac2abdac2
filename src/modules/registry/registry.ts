/**
 * The registry's operations, independent of HTTP: storing and reading manifests and tags, blob
 * commits and mounts, referrers. Routes translate requests to these calls.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { BlobStore, BlobWriter } from '../../platform/blobs/index.js';
import type { DB } from '../../platform/db/index.js';
import { AppError } from '../../platform/errors.js';
import type { Clock } from '../../platform/queue/index.js';
import { registryError } from './errors.js';
import { inspectManifest, type ManifestFacts } from './manifests.js';
import { isSupportedDigest, isTag, looksLikeDigest } from './names.js';
import type { PublishedImagesSource } from './published.js';
import {
  allowedActions,
  authenticate,
  authorize,
  grantToken,
  type Allowed,
  type AccessMode,
  type Principal,
  type Realm,
} from './access.js';
import type { AddressGuard } from '../accounts/index.js';
import type { PublishedImage } from './published.js';
import { splitRepositoryName } from './names.js';
import {
  deleteManifest,
  deleteTag,
  ensureRepository,
  findManifest,
  findRepository,
  inBatches,
  isPublishedManifest,
  linkBlob,
  listReferrers,
  listTags,
  manifestSizes,
  publishBlob,
  releaseBlob,
  repositoryBlobSize,
  repositoryBlobSizes,
  reserveBlob,
  touchBlob,
  unlinkBlob,
  type ManifestRow,
  type RepositoryRef,
} from './store.js';
import type { Action, Grant, TokenClaims, TokenSigner } from './tokens.js';
import { Uploads } from './uploads.js';

/** What the registry tells the rest of the server when a tag is pushed. */
export interface TaggedPush {
  readonly repository: RepositoryRef;
  readonly tag: string;
  readonly digest: string;
  readonly facts: ManifestFacts;
}

/**
 * Called inside the transaction that stores a tagged manifest, so what it records (an image, a
 * queued scan) exists exactly when the tag does.
 */
export type TaggedPushHook = (trx: Transaction<DB>, push: TaggedPush) => Promise<void>;

/**
 * Called inside the transaction that deletes a manifest, so what refers to it (a published
 * image) changes exactly when the manifest goes.
 */
export type ManifestDeletedHook = (
  trx: Transaction<DB>,
  deleted: { readonly repository: RepositoryRef; readonly digest: string },
) => Promise<void>;

/** Options of `Registry`. */
export interface RegistryOptions {
  readonly db: Kysely<DB>;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly maxManifestBytes: number;
  /** Unfinished uploads one registry key or user may have at a time. */
  readonly maxOpenUploads: number;
  readonly onTaggedPush?: TaggedPushHook;
  readonly onManifestDeleted?: ManifestDeletedHook;
  /** Which images are published, which decides what clients without rights may pull. */
  readonly publishedImages: PublishedImagesSource;
}

/** A manifest reference from a URL: a tag or a digest. */
export type ManifestRef = { readonly tag: string } | { readonly digest: string };

/** The registry of one server process. */
export class Registry {
  readonly db: Kysely<DB>;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly uploads: Uploads;
  readonly maxManifestBytes: number;
  readonly publishedImages: PublishedImagesSource;
  private readonly onTaggedPush: TaggedPushHook | undefined;
  private readonly onManifestDeleted: ManifestDeletedHook | undefined;

  constructor(options: RegistryOptions) {
    this.db = options.db;
    this.blobs = options.blobs;
    this.clock = options.clock;
    this.maxManifestBytes = options.maxManifestBytes;
    this.onTaggedPush = options.onTaggedPush;
    this.onManifestDeleted = options.onManifestDeleted;
    this.publishedImages = options.publishedImages;
    this.uploads = new Uploads(this.db, this.blobs, this.clock, options.maxOpenUploads);
  }

  /**
   * Stores a manifest under a tag or its digest once every blob and child manifest it names is in
   * the repository; a tag moves to it in the same transaction.
   * @throws RegistryError DIGEST_INVALID, MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, UNSUPPORTED
   */
  async putManifest(
    repository: RepositoryRef,
    ref: ManifestRef,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<{ digest: string; subject?: string }> {
    const algorithm = 'digest' in ref && ref.digest.startsWith('sha512:') ? 'sha512' : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
    if ('digest' in ref && ref.digest !== digest) {
      throw registryError(
        'DIGEST_INVALID',
        `The manifest's digest is ${digest}, not ${ref.digest} as the URL says.`,
        {
          expected: ref.digest,
          actual: digest,
        },
      );
    }
    const facts = inspectManifest(body, contentType);
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const recorded = await this.checkReferences(trx, repository, facts);
      await trx
        .insertInto('manifests')
        .values({
          repository_id: repository.id,
          digest,
          media_type: facts.mediaType,
          size: body.length,
          content: body,
          subject_digest: facts.subject ?? null,
          artifact_type: facts.artifactType ?? null,
          created_at: now.toISOString(),
        })
        .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
        .execute();
      await inBatches(recorded, (batch) =>
        trx
          .insertInto('manifest_blobs')
          .values(
            batch.map((d) => ({
              repository_id: repository.id,
              manifest_digest: digest,
              blob_digest: d,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
      await inBatches(
        facts.children.map((c) => c.digest),
        (batch) =>
          trx
            .insertInto('manifest_children')
            .values(
              batch.map((d) => ({
                repository_id: repository.id,
                parent_digest: digest,
                child_digest: d,
              })),
            )
            .onConflict((oc) => oc.doNothing())
            .execute(),
      );
      if ('tag' in ref) {
        await trx
          .insertInto('tags')
          .values({
            repository_id: repository.id,
            name: ref.tag,
            digest,
            updated_at: now.toISOString(),
          })
          .onConflict((oc) =>
            oc
              .columns(['repository_id', 'name'])
              .doUpdateSet({ digest, updated_at: now.toISOString() }),
          )
          .execute();
        await this.onTaggedPush?.(trx, { repository, tag: ref.tag, digest, facts });
      }
    });
    return { digest, ...(facts.subject ? { subject: facts.subject } : {}) };
  }

  /**
   * Every referenced blob and child manifest must be in the repository, with the stated size;
   * returns the blobs the manifest uses: its blobs, and the foreign layers the repository has.
   * A foreign layer the repository lacks is not looked up anywhere else (another tenant's blob).
   */
  private async checkReferences(
    trx: Kysely<DB>,
    repository: RepositoryRef,
    facts: ManifestFacts,
  ): Promise<string[]> {
    const blobSizes = await repositoryBlobSizes(
      trx,
      repository.id,
      [...facts.blobs, ...facts.foreign].map((b) => b.digest),
    );
    for (const blob of facts.blobs) {
      const size = blobSizes.get(blob.digest);
      if (size === undefined) {
        throw registryError(
          'MANIFEST_BLOB_UNKNOWN',
          `Blob ${blob.digest} (${blob.mediaType}) is not in ${repository.name}; push it before the manifest.`,
          {
            digest: blob.digest,
          },
        );
      }
      if (size !== blob.size) {
        throw registryError(
          'MANIFEST_INVALID',
          `The manifest gives blob ${blob.digest} a size of ${blob.size} bytes; it has ${size}.`,
          {
            digest: blob.digest,
            declared: blob.size,
            actual: size,
          },
        );
      }
    }
    const foreign = facts.foreign.filter((layer) => blobSizes.get(layer.digest) === layer.size);
    const childSizes = await manifestSizes(
      trx,
      repository.id,
      facts.children.map((c) => c.digest),
    );
    for (const child of facts.children) {
      const size = childSizes.get(child.digest);
      if (size === undefined) {
        throw registryError(
          'MANIFEST_BLOB_UNKNOWN',
          `Manifest ${child.digest} listed by the index is not in ${repository.name}; push it first.`,
          {
            digest: child.digest,
          },
        );
      }
      if (size !== child.size) {
        throw registryError(
          'MANIFEST_INVALID',
          `The index gives manifest ${child.digest} a size of ${child.size} bytes; it has ${size}.`,
          {
            digest: child.digest,
            declared: child.size,
            actual: size,
          },
        );
      }
    }
    return [...facts.blobs, ...foreign].map((b) => b.digest);
  }

  /** Deletes a manifest with its tags, and tells the hook in the same transaction; false when absent. */
  async deleteManifest(repository: RepositoryRef, digest: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await deleteManifest(trx, repository.id, digest))) {
        return false;
      }
      await this.onManifestDeleted?.(trx, { repository, digest });
      return true;
    });
  }

  /**
   * A manifest by tag or digest.
   * @throws RegistryError MANIFEST_UNKNOWN
   */
  async getManifest(repository: RepositoryRef, ref: ManifestRef): Promise<ManifestRow> {
    const row = await findManifest(this.db, repository.id, ref);
    if (row === undefined) {
      throw registryError(
        'MANIFEST_UNKNOWN',
        `Manifest ${'tag' in ref ? ref.tag : ref.digest} is not in ${repository.name}.`,
        {
          ...ref,
        },
      );
    }
    return row;
  }

  /**
   * Moves an upload's bytes into the store under `digest` and makes the blob visible in the
   * repository. GC is told first (a reservation), so it cannot remove the file being placed.
   * @throws RegistryError DIGEST_INVALID when the content does not match (nothing is stored)
   */
  async commitBlob(repository: RepositoryRef, writer: BlobWriter, digest: string): Promise<number> {
    const now = this.clock.now();
    const size = writer.offset;
    await reserveBlob(this.db, digest, size, now);
    try {
      await writer.commit(digest);
    } catch (err) {
      await releaseBlob(this.db, digest);
      if (err instanceof AppError && err.code === 'blob.digest_mismatch') {
        throw registryError('DIGEST_INVALID', err.message, err.detail);
      }
      throw err;
    }
    await publishBlob(this.db, repository.id, digest, size, now);
    return size;
  }

  /** Notes that a client relied on a blob's presence (HEAD before skipping its upload). */
  async touch(digest: string): Promise<void> {
    await touchBlob(this.db, digest, this.clock.now());
  }

  // Access: who is asking, and what they may do (see access.ts for the rules).

  /** The caller an `Authorization` header names (anonymous without one). */
  principal(
    signer: TokenSigner,
    authorization: string | undefined,
    realm: Realm,
    guard: AddressGuard,
  ): Promise<Principal> {
    return authenticate(this.db, signer, authorization, realm, this.nowSeconds(), guard);
  }

  /** The claims of a bearer token for the scopes the principal may have, issued now. */
  grant(
    principal: Principal,
    scopes: readonly Grant[],
    service: string,
    issuedAt: Date,
    ttlSeconds: number,
  ): Promise<TokenClaims> {
    return grantToken(
      this.db,
      principal,
      scopes,
      service,
      Math.floor(issuedAt.getTime() / 1000),
      ttlSeconds,
      this.publishedImages,
    );
  }

  /**
   * How the principal may do `action` on repository `name`.
   * @throws RegistryError UNAUTHORIZED (with a challenge) or DENIED
   */
  authorize(
    principal: Principal,
    name: string,
    action: Action,
    realm: Realm,
  ): Promise<{ mode: AccessMode; projectId?: string; published?: readonly PublishedImage[] }> {
    return authorize(this.db, principal, name, action, realm, this.publishedImages);
  }

  /** What the principal's own rights allow on repository `name`, whatever its token says. */
  allowed(principal: Principal, name: string): Promise<Allowed> {
    return allowedActions(this.db, principal, name, this.publishedImages);
  }

  // Repositories, tags, manifests and blobs as the OCI routes read and change them.

  /**
   * The repository `name`; a push of the owning project (`projectId`) creates it.
   * @throws RegistryError NAME_INVALID, NAME_UNKNOWN
   */
  async repository(name: string, creating: string | undefined): Promise<RepositoryRef> {
    const parts = splitRepositoryName(name);
    if (parts === undefined) {
      throw registryError(
        'NAME_INVALID',
        `Repository name ${name} has no namespace; push to <namespace>/<name>.`,
      );
    }
    if (creating !== undefined) {
      return ensureRepository(
        this.db,
        creating,
        parts.namespace,
        parts.repository,
        this.clock.now(),
      );
    }
    const found = await findRepository(this.db, parts.namespace, parts.repository);
    if (found === undefined) {
      throw registryError('NAME_UNKNOWN', `Repository ${name} does not exist.`, { name });
    }
    return found;
  }

  /** Tag names in order, after `last`, at most `n`; with `published`, only published ones. */
  tags(
    repository: RepositoryRef,
    options: { n?: number; last?: string; published?: readonly PublishedImage[] | undefined },
  ): Promise<string[]> {
    return listTags(this.db, repository.id, options);
  }

  /** Deletes a tag (not its manifest); false when it was not there. */
  deleteTag(repository: RepositoryRef, tag: string): Promise<boolean> {
    return deleteTag(this.db, repository.id, tag);
  }

  /** A manifest someone without rights to the namespace may read: published ones only. */
  publishedManifest(
    repository: RepositoryRef,
    ref: ManifestRef,
    published: readonly PublishedImage[],
  ): Promise<ManifestRow | undefined> {
    return findManifest(this.db, repository.id, ref, { published });
  }

  /** Whether `digest` is a published manifest of the repository (or listed by one). */
  isPublished(
    repository: RepositoryRef,
    digest: string,
    published: readonly PublishedImage[],
  ): Promise<boolean> {
    return isPublishedManifest(this.db, repository.id, digest, published);
  }

  /** Manifests whose subject is `digest`; with `published`, only those a reader could pull. */
  referrers(
    repository: RepositoryRef,
    digest: string,
    published: readonly PublishedImage[] | undefined,
  ): Promise<ManifestRow[]> {
    return listReferrers(this.db, repository.id, digest, { published });
  }

  /** The size of a blob of the repository; with `published`, only of a published image. */
  blobSize(
    repository: RepositoryRef,
    digest: string,
    published: readonly PublishedImage[] | undefined,
  ): Promise<number | undefined> {
    return repositoryBlobSize(this.db, repository.id, digest, { published });
  }

  /** Removes a blob from the repository (the bytes stay for GC); false when it was not there. */
  unlinkBlob(repository: RepositoryRef, digest: string): Promise<boolean> {
    return unlinkBlob(this.db, repository.id, digest);
  }

  /**
   * Cross-repository mount: links blob `digest` of repository `from` into `repository` when the
   * principal may read it there; false otherwise (the client then uploads it).
   */
  async mount(
    principal: Principal,
    repository: RepositoryRef,
    from: string,
    digest: string,
  ): Promise<boolean> {
    // The key's own rights decide, not the scopes of the token in hand: clients that did not ask
    // for the source's scope get the same answer they would after asking.
    const { mode, published } = await this.allowed(principal, from);
    if (mode === undefined) {
      return false;
    }
    const parts = splitRepositoryName(from);
    const source = parts && (await findRepository(this.db, parts.namespace, parts.repository));
    const visible = source && (await this.blobSize(source, digest, published));
    if (visible === undefined) {
      return false;
    }
    await linkBlob(this.db, repository.id, digest, this.clock.now());
    await this.touch(digest);
    return true;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/**
 * Parses the `<reference>` of a manifest URL.
 * @throws RegistryError TAG_INVALID or DIGEST_INVALID
 */
export function parseManifestRef(reference: string): ManifestRef {
  if (reference.includes(':')) {
    if (!isSupportedDigest(reference)) {
      throw registryError(
        'DIGEST_INVALID',
        looksLikeDigest(reference)
          ? `Digest ${reference.slice(0, 150)} uses an unsupported algorithm or encoding; use sha256 or sha512 in lower-case hex.`
          : `${reference.slice(0, 150)} is neither a tag nor a digest.`,
        { reference: reference.slice(0, 150) },
      );
    }
    return { digest: reference };
  }
  if (!isTag(reference)) {
    throw registryError(
      'TAG_INVALID',
      `Tag ${JSON.stringify(reference.slice(0, 150))} is invalid: use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.`,
      {
        tag: reference.slice(0, 150),
      },
    );
  }
  return { tag: reference };
}

/**
 * Checks a digest given as a parameter.
 * @throws RegistryError DIGEST_INVALID
 */
export function checkDigest(digest: string | undefined, what: string): string {
  if (digest === undefined || !isSupportedDigest(digest)) {
    throw registryError(
      'DIGEST_INVALID',
      `${what} ${JSON.stringify(digest?.slice(0, 150) ?? '')} is not a sha256 or sha512 digest in lower-case hex.`,
    );
  }
  return digest;
}
