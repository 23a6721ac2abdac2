/**
 * A read-only registry over an OCI layout, on 127.0.0.1, standing in for a remote registry when
 * testing the client: manifests, blobs, tag lists, and anonymous, basic or bearer-token auth.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** How the test registry authenticates. */
export interface TestRegistryOptions {
  layoutDir: string;
  repository: string;
  auth: 'none' | 'basic' | 'bearer';
  username?: string;
  password?: string;
}

/** Starts the registry; `host` is `127.0.0.1:PORT`. */
export async function startTestRegistry(
  opts: TestRegistryOptions,
): Promise<{ host: string; close: () => Promise<void> }> {
  const index = JSON.parse(await readFile(join(opts.layoutDir, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; mediaType: string; annotations?: Record<string, string> }>;
  };
  const basic =
    'Basic ' + Buffer.from(`${opts.username ?? ''}:${opts.password ?? ''}`).toString('base64');
  const token = 'test-token-' + Math.random().toString(36).slice(2);
  let host = '';
  const authorized = (req: IncomingMessage): boolean =>
    opts.auth === 'none' ||
    req.headers.authorization === (opts.auth === 'basic' ? basic : `Bearer ${token}`);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    if (!authorized(req)) {
      const challenge =
        opts.auth === 'basic'
          ? 'Basic realm="test"'
          : `Bearer realm="http://${host}/token",service="test",scope="repository:${opts.repository}:pull"`;
      res
        .writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    if (url.pathname === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    const prefix = `/v2/${opts.repository}/`;
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    const [kind, ref = ''] = url.pathname.slice(prefix.length).split('/');
    if (kind === 'tags') {
      const tags = index.manifests
        .map((m) => m.annotations?.['org.opencontainers.image.ref.name'])
        .filter((t): t is string => !!t);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ name: opts.repository, tags }));
      return;
    }
    const digest =
      kind === 'manifests' && !ref.includes(':')
        ? index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref)
            ?.digest
        : ref;
    const path = digest
      ? join(opts.layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
      : '';
    const info =
      digest && /^sha256:[a-f0-9]{64}$/.test(digest)
        ? await stat(path).catch(() => undefined)
        : undefined;
    if (!info || !digest) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      return;
    }
    const type =
      kind === 'manifests'
        ? 'application/vnd.oci.image.manifest.v1+json'
        : 'application/octet-stream';
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
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
