/**
 * `/v2/` (OCI Distribution 1.1) and `/auth/token` (the Docker token protocol) over `Registry`:
 * a protocol adapter that parses requests and writes answers; who may do what, and every read
 * and change of the registry's data, is the service's (`registry.ts`). One wildcard route
 * dispatches on the path, as repository names contain slashes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MEDIA } from '../../engine/image/manifest.js';
import { AppError, describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import type { AuthLimits } from '../../platform/rate-limit.js';
import { addressGuard } from '../accounts/index.js';
import {
  principalKey,
  unauthorized,
  type AccessMode,
  type Principal,
  type Realm,
} from './access.js';
import type { PublishedImage } from './published.js';
import { errorBody, RegistryError, registryError } from './errors.js';
import { isRepositoryName } from './names.js';
import { checkDigest, parseManifestRef, type ManifestRef, type Registry } from './registry.js';
import type { ManifestRow, RepositoryRef } from './store.js';
import { parseScopes, TOKEN_TTL_SECONDS, type Action, type TokenSigner } from './tokens.js';

/** Options of the registry routes. */
export interface RegistryRoutesOptions {
  readonly registry: Registry;
  readonly signer: TokenSigner;
  /** The process's limits on credential checks (shared with the API). */
  readonly authLimits: AuthLimits;
  /** The external base URL (`https://registry.example.com`), if configured. */
  readonly publicUrl?: string;
}

/** Largest blob accepted: the scanner's own limit for a layer. */
export const MAX_BLOB_BYTES = 32 * 1024 ** 3;

const PATH =
  /^(.+)\/(?:(tags\/list)|manifests\/([^/]+)|blobs\/uploads\/([^/]*)|blobs\/([^/]+)|referrers\/([^/]+))$/;
const SERVICE = 'hallmark-registry';

/** A parsed `/v2/<name>/…` request. */
type Target =
  | { kind: 'base' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'uploads'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

/** Registers the registry's routes on `app` (an encapsulated plugin context). */
export function registryRoutes(app: FastifyInstance, options: RegistryRoutesOptions): void {
  const { registry, signer } = options;

  // Bodies are blobs and manifests: handlers read the raw stream themselves.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.addHook('onRequest', async (_request, reply) => {
    void reply.header('Docker-Distribution-API-Version', 'registry/2.0');
  });

  app.setErrorHandler((err, request, reply) => {
    const e = toRegistryError(err);
    if (e.status >= 500) {
      log.error('registry', 'request failed', {
        method: request.method,
        url: request.url,
        error: describeError(err),
      });
    }
    void reply.code(e.status).headers(e.headers).type('application/json').send(errorBody(e));
  });

  const realmOf = (request: FastifyRequest): Realm => ({
    realm: `${options.publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`}/auth/token`,
    service: SERVICE,
  });
  const now = () => registry.clock.now();
  const principalOf = (request: FastifyRequest) =>
    registry.principal(
      signer,
      request.headers.authorization,
      realmOf(request),
      addressGuard(options.authLimits, request.ip),
    );

  app.get('/auth/token', async (request, reply) => {
    const realm = realmOf(request);
    const principal = await principalOf(request);
    const query = request.query as Record<string, string | string[] | undefined>;
    const scopes = [query.scope ?? []].flat();
    const issuedAt = now();
    const claims = await registry.grant(
      principal,
      parseScopes(scopes),
      realm.service,
      issuedAt,
      TOKEN_TTL_SECONDS,
    );
    const token = signer.sign(claims);
    void reply.header('Cache-Control', 'no-store');
    return {
      token,
      access_token: token,
      expires_in: TOKEN_TTL_SECONDS,
      issued_at: issuedAt.toISOString(),
    };
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = parseTarget(request.url);
    const principal = await principalOf(request);
    const realm = realmOf(request);
    if (target.kind === 'base') {
      if (principal.kind === 'anonymous' && principal.grants === undefined) {
        throw unauthorized(
          realm,
          "Log in with your project's registry key or your API token (any user name).",
        );
      }
      return reply.type('application/json').send({});
    }
    const method = request.method;
    // Every upload request, its progress GET included, is part of a push (as in Distribution):
    // an anonymous caller gets the challenge, a reader of a published repository is refused.
    const action: Action =
      target.kind === 'uploads'
        ? 'push'
        : method === 'GET' || method === 'HEAD'
          ? 'pull'
          : method === 'DELETE'
            ? 'delete'
            : 'push';
    const { mode, projectId, published } = await registry.authorize(
      principal,
      target.name,
      action,
      realm,
    );
    // A push creates the repository in the namespace's project; an upload's later requests do not.
    const creates = action === 'push' && (target.kind !== 'uploads' || method === 'POST');
    const repository = await registry.repository(target.name, creates ? projectId : undefined);
    const ctx: RequestContext = { request, reply, principal, mode, published, repository, realm };
    switch (target.kind) {
      case 'tags':
        return tagsList(ctx, target.name);
      case 'manifest':
        return manifest(ctx, target.reference);
      case 'uploads':
        return upload(ctx, target.id);
      case 'blob':
        return blob(ctx, target.digest);
      case 'referrers':
        return referrers(ctx, target.digest);
    }
  };
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2',
    exposeHeadRoute: false,
    handler,
  });
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2/*',
    exposeHeadRoute: false,
    handler,
  });

  interface RequestContext {
    readonly request: FastifyRequest;
    readonly reply: FastifyReply;
    readonly principal: Principal;
    readonly mode: AccessMode;
    /** In mode `published`, the repository's published images (undefined for owners). */
    readonly published: readonly PublishedImage[] | undefined;
    readonly repository: RepositoryRef;
    readonly realm: Realm;
  }

  /** Refuses content that is not published to someone who may only see published content. */
  function notPublished(ctx: RequestContext, what: string): RegistryError {
    return ctx.principal.kind === 'anonymous'
      ? unauthorized(
          ctx.realm,
          `${what} is not published; log in to pull it.`,
          `repository:${ctx.repository.name}:pull`,
        )
      : new RegistryError('DENIED', `${what} is not published.`);
  }

  async function tagsList(ctx: RequestContext, name: string) {
    const query = ctx.request.query as Record<string, string | undefined>;
    let n: number | undefined;
    if (query.n !== undefined) {
      n = Number(query.n);
      if (!/^\d{1,9}$/.test(query.n) || n > 10_000) {
        throw registryError(
          'PAGINATION_NUMBER_INVALID',
          `n=${query.n.slice(0, 20)} must be an integer from 0 to 10000.`,
        );
      }
    }
    const tags =
      n === 0
        ? []
        : await registry.tags(ctx.repository, {
            ...(n === undefined ? {} : { n: n + 1 }),
            ...(query.last === undefined ? {} : { last: query.last }),
            published: ctx.published,
          });
    if (n !== undefined && tags.length > n) {
      tags.length = n;
      const last = encodeURIComponent(tags[tags.length - 1] ?? '');
      void ctx.reply.header('Link', `</v2/${name}/tags/list?n=${n}&last=${last}>; rel="next"`);
    }
    return ctx.reply.type('application/json').send({ name, tags });
  }

  async function manifest(ctx: RequestContext, reference: string) {
    const ref = parseManifestRef(reference);
    const { request, reply, repository } = ctx;
    switch (request.method) {
      case 'PUT': {
        const body = await readManifestBody(request, registry.maxManifestBytes);
        const stored = await registry.putManifest(
          repository,
          ref,
          body,
          request.headers['content-type'],
        );
        void reply
          .code(201)
          .header('Location', `/v2/${repository.name}/manifests/${stored.digest}`)
          .header('Docker-Content-Digest', stored.digest);
        if (stored.subject !== undefined) {
          void reply.header('OCI-Subject', stored.subject);
        }
        return reply.send();
      }
      case 'DELETE': {
        const deleted =
          'tag' in ref
            ? await registry.deleteTag(repository, ref.tag)
            : await registry.deleteManifest(repository, ref.digest);
        if (!deleted) {
          throw registryError(
            'MANIFEST_UNKNOWN',
            `${'tag' in ref ? `Tag ${ref.tag}` : `Manifest ${ref.digest}`} is not in ${repository.name}.`,
          );
        }
        return reply.code(202).send();
      }
      default: {
        const row = await readManifest(ctx, ref);
        void reply
          .type(row.media_type)
          .header('Content-Length', row.size)
          .header('Docker-Content-Digest', row.digest)
          .header('ETag', `"${row.digest}"`);
        return request.method === 'HEAD' ? reply.send() : reply.send(row.content);
      }
    }
  }

  /**
   * The manifest a GET or HEAD may read. Without rights to the namespace, a tag is readable only
   * while its current digest is a published image of that tag, and a digest only when published
   * (under any tag, or listed by a published index). An unpublished tag gets the same answer as a
   * missing one, so tag names do not leak; a stored but unpublished digest gets the refusal.
   */
  async function readManifest(ctx: RequestContext, ref: ManifestRef): Promise<ManifestRow> {
    const { repository } = ctx;
    if (ctx.mode === 'owner') {
      return registry.getManifest(repository, ref);
    }
    const row = await registry.publishedManifest(repository, ref, ctx.published ?? []);
    if (row !== undefined) {
      return row;
    }
    if ('tag' in ref) {
      throw notPublished(ctx, `Tag ${ref.tag} of ${repository.name}`);
    }
    await registry.getManifest(repository, ref); // MANIFEST_UNKNOWN when not stored at all.
    throw notPublished(ctx, `Manifest ${ref.digest}`);
  }

  async function blob(ctx: RequestContext, rawDigest: string) {
    const { request, reply, repository } = ctx;
    const digest = checkDigest(rawDigest, 'Blob digest');
    if (request.method === 'DELETE') {
      if (!(await registry.unlinkBlob(repository, digest))) {
        throw registryError('BLOB_UNKNOWN', `Blob ${digest} is not in ${repository.name}.`, {
          digest,
        });
      }
      return reply.code(202).send();
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw registryError(
        'UNSUPPORTED',
        `${request.method} is not supported on blobs.`,
        undefined,
        405,
      );
    }
    // Without rights to the namespace, an unpublished blob is answered as an absent one, by the
    // same single query: the answer tells nothing of which digests the owner stored.
    const size = await registry.blobSize(repository, digest, ctx.published);
    if (size === undefined) {
      throw registryError('BLOB_UNKNOWN', `Blob ${digest} is not in ${repository.name}.`, {
        digest,
      });
    }
    // blobs.s3.redirect: the bytes come from the bucket, after the same checks (HEAD stays here).
    const redirect =
      request.method === 'GET' ? await registry.blobs.redirectUrl?.(digest) : undefined;
    if (redirect !== undefined) {
      return reply
        .code(307)
        .header('Location', redirect)
        .header('Docker-Content-Digest', digest)
        .header('Cache-Control', 'no-store')
        .send();
    }
    void reply
      .header('Docker-Content-Digest', digest)
      .header('Accept-Ranges', 'bytes')
      .header('ETag', `"${digest}"`)
      .header('Cache-Control', 'max-age=31536000')
      .type('application/octet-stream');
    if (request.method === 'HEAD') {
      if (ctx.mode === 'owner') {
        // The client may now skip uploading it and push a manifest that needs it.
        await registry.touch(digest);
      }
      return reply.header('Content-Length', size).send();
    }
    const range = parseRange(request.headers.range, size);
    const stream = await registry.blobs.openRead(digest, range);
    if (range === undefined) {
      return reply.header('Content-Length', size).send(stream);
    }
    return reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', range.end - range.start + 1)
      .send(stream);
  }

  async function upload(ctx: RequestContext, id: string) {
    const { request, reply, repository } = ctx;
    const query = request.query as Record<string, string | undefined>;
    const uploads = registry.uploads;
    const location = (uploadId: string) => `/v2/${repository.name}/blobs/uploads/${uploadId}`;
    const accepted = (uploadId: string, offset: number) =>
      reply
        .header('Location', location(uploadId))
        .header('Range', `0-${Math.max(0, offset - 1)}`)
        .header('Docker-Upload-UUID', uploadId);
    const created = (digest: string) =>
      reply
        .code(201)
        .header('Location', `/v2/${repository.name}/blobs/${digest}`)
        .header('Docker-Content-Digest', digest)
        .send();

    if (id === '') {
      if (request.method !== 'POST') {
        throw registryError(
          'UNSUPPORTED',
          `${request.method} is not supported on the uploads collection; POST starts an upload.`,
          undefined,
          405,
        );
      }
      if (query.mount !== undefined) {
        const mounted = await tryMount(ctx, checkDigest(query.mount, 'mount'), query.from);
        if (mounted) {
          return created(query.mount);
        }
      }
      // Anonymous callers cannot push, so never begin one; their key matches no upload.
      const row = await uploads.begin(repository.id, principalKey(ctx.principal) ?? 'anonymous');
      if (query.digest !== undefined) {
        const digest = checkDigest(query.digest, 'digest');
        return uploads.withWriter(row.id, async (writer) => {
          try {
            await writer.writeFrom(request.raw, { maxBytes: MAX_BLOB_BYTES });
            await registry.commitBlob(repository, writer, digest);
          } finally {
            await uploads.finish(row.id);
          }
          return created(digest);
        });
      }
      drain(request);
      return accepted(row.id, 0).code(202).send();
    }

    const row = await uploads.find(repository.id, id, principalKey(ctx.principal));
    switch (request.method) {
      case 'GET':
      case 'HEAD':
        return accepted(row.id, row.offset).code(204).send();
      case 'DELETE':
        await uploads.cancel(row.id);
        return reply.code(204).send();
      case 'PATCH': {
        const range = parseContentRange(request.headers['content-range']);
        if (range !== undefined && range.start !== row.offset) {
          drain(request);
          throw new RegistryError(
            'RANGE_INVALID',
            `The chunk starts at ${range.start}; the upload has ${row.offset} bytes, so the next chunk must start there.`,
            {
              status: 416,
              headers: {
                Location: location(row.id),
                Range: `0-${Math.max(0, row.offset - 1)}`,
                'Docker-Upload-UUID': row.id,
              },
              detail: { offset: row.offset },
            },
          );
        }
        const offset = await uploads.withWriter(row.id, async (writer) => {
          const written = await writer.writeFrom(request.raw, { maxBytes: MAX_BLOB_BYTES });
          if (range !== undefined && written !== range.end - range.start + 1) {
            throw registryError(
              'SIZE_INVALID',
              `Content-Range announced ${range.end - range.start + 1} bytes; the body had ${written}.`,
            );
          }
          // Not fsynced here (the commit is): after a power loss the upload reports fewer bytes
          // than acknowledged and the client starts it again, which is honest if not cheap.
          await uploads.acknowledge(row.id, writer);
          return writer.offset;
        });
        return accepted(row.id, offset).code(202).send();
      }
      case 'PUT': {
        const digest = checkDigest(query.digest, 'The digest parameter');
        return uploads.withWriter(row.id, async (writer) => {
          await writer.writeFrom(request.raw, { maxBytes: MAX_BLOB_BYTES });
          try {
            await registry.commitBlob(repository, writer, digest);
          } finally {
            await uploads.finish(row.id);
          }
          return created(digest);
        });
      }
      default:
        throw registryError(
          'UNSUPPORTED',
          `${request.method} is not supported on uploads.`,
          undefined,
          405,
        );
    }
  }

  /** Cross-repository mount: true when the blob was linked without an upload. */
  async function tryMount(
    ctx: RequestContext,
    digest: string,
    from: string | undefined,
  ): Promise<boolean> {
    if (from === undefined || !isRepositoryName(from)) {
      return false;
    }
    return registry.mount(ctx.principal, ctx.repository, from, digest);
  }

  async function referrers(ctx: RequestContext, rawDigest: string) {
    const digest = checkDigest(rawDigest, 'Subject digest');
    if (
      ctx.published !== undefined &&
      !(await registry.isPublished(ctx.repository, digest, ctx.published))
    ) {
      throw notPublished(ctx, `Manifest ${digest}`);
    }
    const query = ctx.request.query as Record<string, string | undefined>;
    const filter = query.artifactType;
    // Without rights to the namespace, only referrers the client could pull are listed.
    const listed = await registry.referrers(ctx.repository, digest, ctx.published);
    const manifests = listed
      .map((row) => {
        const doc = JSON.parse(row.content.toString('utf8')) as {
          artifactType?: string;
          config?: { mediaType?: string };
          annotations?: Record<string, string>;
        };
        const artifactType = doc.artifactType ?? doc.config?.mediaType;
        return {
          mediaType: row.media_type,
          digest: row.digest,
          size: row.size,
          ...(artifactType ? { artifactType } : {}),
          ...(doc.annotations ? { annotations: doc.annotations } : {}),
        };
      })
      .filter((d) => filter === undefined || d.artifactType === filter);
    if (filter !== undefined) {
      void ctx.reply.header('OCI-Filters-Applied', 'artifactType');
    }
    return ctx.reply
      .type(MEDIA.ociIndex)
      .send(
        Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests })),
      );
  }
}

/** Splits a request URL into what it addresses. */
function parseTarget(url: string): Target {
  const path = url.split('?', 1)[0] ?? '';
  const rest = path.replace(/^\/v2\/?/, '');
  if (rest === '') {
    return { kind: 'base' };
  }
  const m = PATH.exec(rest);
  if (m === null) {
    throw registryError(
      'NAME_UNKNOWN',
      `No registry endpoint at ${path.slice(0, 200)}.`,
      undefined,
      404,
    );
  }
  const name = m[1] ?? '';
  if (!isRepositoryName(name)) {
    throw registryError(
      'NAME_INVALID',
      `Repository name ${JSON.stringify(name.slice(0, 300))} is invalid: use lower-case letters, digits and separators (. _ __ -) in path components, 255 characters at most.`,
      {
        name: name.slice(0, 300),
      },
    );
  }
  const decode = (s: string | undefined) => {
    try {
      return decodeURIComponent(s ?? '');
    } catch {
      return s ?? '';
    }
  };
  if (m[2] !== undefined) {
    return { kind: 'tags', name };
  }
  if (m[3] !== undefined) {
    return { kind: 'manifest', name, reference: decode(m[3]) };
  }
  if (m[4] !== undefined) {
    return { kind: 'uploads', name, id: decode(m[4]) };
  }
  if (m[5] !== undefined) {
    return { kind: 'blob', name, digest: decode(m[5]) };
  }
  return { kind: 'referrers', name, digest: decode(m[6]) };
}

/**
 * Reads a manifest body, refusing more than `limit` bytes.
 * @throws RegistryError MANIFEST_INVALID (413 when too large)
 */
async function readManifestBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    registryError(
      'MANIFEST_INVALID',
      `The manifest is larger than ${limit} bytes; registries accept at most ${limit / 1024 / 1024} MiB.`,
      { limit },
      413,
    );
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > limit) {
    drain(request);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      drain(request);
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) {
    throw registryError('MANIFEST_INVALID', 'The manifest body is empty.');
  }
  return Buffer.concat(chunks);
}

/** Discards the rest of a request body, so the connection can be reused. */
function drain(request: FastifyRequest): void {
  request.raw.resume();
}

/** Parses `Content-Range: <start>-<end>` (also with a `bytes ` prefix). */
function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) {
    return undefined;
  }
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (m === null || Number(m[2]) < Number(m[1])) {
    throw new RegistryError(
      'RANGE_INVALID',
      `Content-Range ${JSON.stringify(header.slice(0, 80))} is not <start>-<end>.`,
      { status: 416 },
    );
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** Parses a single `Range: bytes=a-b` request header. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) {
    return undefined;
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) {
    return undefined; // Unsupported forms (several ranges) get the whole blob, as RFC 9110 allows.
  }
  const range =
    m[1] === ''
      ? { start: Math.max(0, size - Number(m[2])), end: size - 1 }
      : { start: Number(m[1]), end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
  if (range.start > range.end || range.start >= size) {
    throw new RegistryError(
      'RANGE_INVALID',
      `Range ${header.slice(0, 80)} is outside the blob of ${size} bytes.`,
      {
        status: 416,
        headers: { 'Content-Range': `bytes */${size}` },
      },
    );
  }
  return range;
}

/** Maps anything thrown in a registry handler to an OCI error. */
function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) {
    return err;
  }
  if (err instanceof AppError) {
    switch (err.code) {
      case 'auth.rate_limited':
      case 'auth.busy': {
        const seconds = err.detail?.retryAfterSeconds;
        const retryAfter = String(typeof seconds === 'number' ? seconds : 60);
        return new RegistryError('TOOMANYREQUESTS', err.message, {
          ...(err.detail ? { detail: err.detail } : {}),
          headers: { 'Retry-After': retryAfter },
        });
      }
      case 'blob.too_large':
        return registryError('SIZE_INVALID', err.message, err.detail, 413);
      case 'blob.upload_unknown':
        return registryError('BLOB_UPLOAD_UNKNOWN', err.message, err.detail);
      case 'blob.upload_offset':
        return registryError('BLOB_UPLOAD_INVALID', err.message, err.detail);
      case 'blob.not_found':
        return registryError('BLOB_UNKNOWN', err.message, err.detail);
      case 'blob.range_invalid':
        return new RegistryError('RANGE_INVALID', err.message, { status: 416 });
      default:
        return new RegistryError(err.status >= 500 ? 'UNKNOWN' : 'UNSUPPORTED', err.message, {
          status: err.status,
        });
    }
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new RegistryError('UNSUPPORTED', describeError(err), { status });
  }
  return new RegistryError(
    'UNKNOWN',
    'Internal error; the request changed nothing that was not complete.',
    { status: 500 },
  );
}
