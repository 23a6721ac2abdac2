/**
 * A read-only registry over an OCI layout, on 127.0.0.1, standing in for a REMOTE registry when
 * testing the client: GET/HEAD manifests (by ref name or digest) and blobs, paginated tag lists,
 * and anonymous, basic or bearer-token auth. Not Hallmark's own registry.
 *
 * @example
 *   const reg = await startTestRegistry({ layoutDir, auth: 'bearer', username: 'u', password: 'p' });
 *   await resolveImage(`docker://${reg.host}/acme/app:1.0`, { creds: { username: 'u', password: 'p' }, tempDir });
 *   await reg.close();
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** How the test registry behaves. */
export interface TestRegistryOptions {
  /** The OCI layout served; its ref names are the tags. */
  layoutDir: string;
  auth: 'none' | 'basic' | 'bearer';
  username?: string;
  password?: string;
  /** Only plain http is supported (the client's loopback fallback is what gets tested). */
  tls?: false;
  /** Serve only this repository name (default: any name serves the layout). */
  repository?: string;
  /**
   * Answer blob GETs with a 307 to `http://localhost:PORT/_blob/…` — another origin than
   * `127.0.0.1:PORT` — which refuses requests that carry an Authorization header.
   */
  redirectBlobs?: boolean;
  /** Largest tag-list page, whatever `n` the client asks (to exercise `Link` pagination). */
  maxPageSize?: number;
}

/** A running test registry. */
export interface TestRegistry {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`, for `docker://HOST/REPO:TAG`. */
  host: string;
  /** Every request as `METHOD /path?query`, for assertions. */
  log: string[];
  close(): Promise<void>;
}

interface IndexEntry {
  digest: string;
  mediaType: string;
  annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

/** Starts the registry on 127.0.0.1 with a free port. */
export async function startTestRegistry(opts: TestRegistryOptions): Promise<TestRegistry> {
  const log: string[] = [];
  const tokens = new Map<string, string>();
  const state = { host: '', port: 0 };
  const server = createServer((req, res) => {
    log.push(`${req.method ?? ''} ${req.url ?? ''}`);
    handle(opts, state, tokens, req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.host = `127.0.0.1:${state.port}`;
  return {
    url: `http://${state.host}`,
    host: state.host,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body));
}

function ociError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ code, message }] });
}

async function handle(
  opts: TestRegistryOptions,
  state: { host: string; port: number },
  tokens: Map<string, string>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${state.host}`);
  if (url.pathname === '/token') {
    issueToken(opts, tokens, req, url, res);
    return;
  }
  if (url.pathname.startsWith('/_blob/')) {
    if (req.headers.authorization) {
      ociError(res, 400, 'DENIED', 'credentials were sent to the blob storage host');
      return;
    }
    await sendBlob(
      opts,
      url.pathname.slice('/_blob/'.length),
      'application/octet-stream',
      req,
      res,
    );
    return;
  }
  const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/.exec(url.pathname);
  const repo = m?.[1] ?? '';
  if (!authorized(opts, tokens, req, repo)) {
    const challenge =
      opts.auth === 'basic'
        ? 'Basic realm="hallmark-test"'
        : `Bearer realm="http://${state.host}/token",service="hallmark-test",scope="repository:${repo}:pull"`;
    res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
    );
    return;
  }
  if (url.pathname === '/v2/' || url.pathname === '/v2') {
    sendJson(res, 200, {});
    return;
  }
  if (!m || (opts.repository !== undefined && repo !== opts.repository)) {
    ociError(res, 404, 'NAME_UNKNOWN', `repository ${repo} is not known`);
    return;
  }
  const index = await readIndex(opts.layoutDir);
  const [, , kind, ref = ''] = m;
  if (kind === 'tags') {
    listTags(index, repo, url, res, opts.maxPageSize);
  } else if (kind === 'manifests') {
    const digest = ref.includes(':')
      ? ref
      : index.find((e) => e.annotations?.[REF_NAME] === ref)?.digest;
    if (!digest) {
      ociError(res, 404, 'MANIFEST_UNKNOWN', `manifest ${ref} is not known`);
      return;
    }
    await sendBlob(opts, digest, await mediaTypeOf(opts.layoutDir, digest), req, res);
  } else if (opts.redirectBlobs && req.method === 'GET') {
    res.writeHead(307, { location: `http://localhost:${state.port}/_blob/${ref}` }).end();
  } else {
    await sendBlob(opts, ref, 'application/octet-stream', req, res);
  }
}

function authorized(
  opts: TestRegistryOptions,
  tokens: Map<string, string>,
  req: IncomingMessage,
  repo: string,
): boolean {
  const given = req.headers.authorization ?? '';
  if (opts.auth === 'none') {
    return true;
  }
  if (opts.auth === 'basic') {
    return given === basic(opts);
  }
  return given.startsWith('Bearer ') && tokens.get(given.slice(7)) === `repository:${repo}:pull`;
}

function basic(opts: TestRegistryOptions): string {
  return 'Basic ' + Buffer.from(`${opts.username ?? ''}:${opts.password ?? ''}`).toString('base64');
}

/** The token endpoint: checks basic credentials when a username is configured (else anonymous). */
function issueToken(
  opts: TestRegistryOptions,
  tokens: Map<string, string>,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
): void {
  if (opts.username !== undefined && req.headers.authorization !== basic(opts)) {
    sendJson(res, 401, { details: 'incorrect username or password' });
    return;
  }
  const token = `t${tokens.size}-${Math.random().toString(36).slice(2)}`;
  tokens.set(token, url.searchParams.get('scope') ?? '');
  // Some servers answer `token`, others `access_token`; alternate to exercise both.
  sendJson(res, 200, tokens.size % 2 === 0 ? { token } : { access_token: token, expires_in: 300 });
}

function listTags(
  index: IndexEntry[],
  repo: string,
  url: URL,
  res: ServerResponse,
  maxPageSize = Infinity,
): void {
  const all = [
    ...new Set(index.map((e) => e.annotations?.[REF_NAME]).filter((t) => t !== undefined)),
  ].sort();
  const last = url.searchParams.get('last');
  const n = Math.min(Number(url.searchParams.get('n') ?? all.length) || all.length, maxPageSize);
  const from = last === null ? 0 : all.findIndex((t) => t > last);
  const page = from < 0 ? [] : all.slice(from, from + n);
  const more = from >= 0 && from + n < all.length;
  const link = more
    ? {
        link: `</v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] ?? '')}>; rel="next"`,
      }
    : {};
  sendJson(res, 200, { name: repo, tags: page }, link);
}

async function readIndex(layoutDir: string): Promise<IndexEntry[]> {
  const json = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as {
    manifests: IndexEntry[];
  };
  return json.manifests;
}

async function mediaTypeOf(layoutDir: string, digest: string): Promise<string> {
  const path = blobPath(layoutDir, digest);
  const body = path ? await readFile(path, 'utf8').catch(() => '') : '';
  try {
    const parsed = JSON.parse(body) as { mediaType?: string };
    return parsed.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/vnd.oci.image.manifest.v1+json';
  }
}

function blobPath(layoutDir: string, digest: string): string | undefined {
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(digest);
  return m ? join(layoutDir, 'blobs', m[1] ?? '', m[2] ?? '') : undefined;
}

async function sendBlob(
  opts: TestRegistryOptions,
  digest: string,
  type: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = blobPath(opts.layoutDir, digest);
  const info = path ? await stat(path).catch(() => undefined) : undefined;
  if (!path || !info) {
    const manifest = type !== 'application/octet-stream';
    ociError(res, 404, manifest ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN', `${digest} is not known`);
    return;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': info.size,
    'docker-content-digest': digest,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path).pipe(res);
}
