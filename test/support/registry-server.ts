/**
 * Starting the server inside a test and talking to its registry like a client: a small OCI
 * client that follows the Bearer challenge with a registry key, and helpers to push blobs and
 * manifests.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../../src/platform/config.js';
import type { DB } from '../../src/platform/db/index.js';
import { createCompany } from '../../src/modules/companies/index.js';
import { createProject, type CreatedProject } from '../../src/modules/projects/index.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/server.js';

/** Starts the server on a free loopback port with a fast-polling worker. */
export async function startTestServer(
  config: Config,
  options: StartOptions = {},
): Promise<RunningServer> {
  return startServer(
    { ...config, server: { ...config.server, port: 0, host: '127.0.0.1' } },
    { workerPollMs: 50, ...options },
  );
}

let counter = 0;

/** A new company and project; returns the project's id, namespace and registry key. */
export async function newProject(
  db: Kysely<DB>,
  company = `Company ${++counter} ${Date.now()}`,
): Promise<CreatedProject> {
  const c = await createCompany(db, company, new Date());
  return createProject(db, { companyId: c.id, name: 'project' }, new Date());
}

/** `sha256:<hex>` of some bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A response with its body read. */
export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  json<T = unknown>(): T;
  /** The OCI error code of an error response. */
  readonly code: string | undefined;
}

/** Options of one request. */
export interface RequestOptions {
  readonly body?: Uint8Array | string;
  readonly headers?: Record<string, string>;
  /** Skip the token dance: send exactly these headers (for auth tests). */
  readonly raw?: boolean;
}

/** A registry client acting with a registry key (or anonymously). */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly key: string | undefined;
  private token: string | undefined;

  constructor(baseUrl: string, key?: string) {
    this.baseUrl = baseUrl;
    this.key = key;
  }

  /** Sends a request; on a Bearer challenge fetches a token for its scope and retries once. */
  async request(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ClientResponse> {
    const send = async (authorization: string | undefined) => {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (authorization !== undefined && !options.raw) {
        headers.authorization = authorization;
      }
      const res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        redirect: 'manual',
      });
      return wrap(res.status, res.headers, Buffer.from(await res.arrayBuffer()));
    };
    let res = await send(this.token && `Bearer ${this.token}`);
    const challenge = res.headers.get('www-authenticate');
    if (res.status === 401 && challenge?.startsWith('Bearer ') && !options.raw) {
      const token = await this.fetchToken(challenge);
      if (token !== undefined) {
        this.token = token;
        res = await send(`Bearer ${token}`);
      }
    }
    return res;
  }

  /** Answers a challenge at its realm, with the key as Basic credentials when there is one. */
  async fetchToken(challenge: string): Promise<string | undefined> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const url = new URL(params.realm ?? '');
    url.searchParams.set('service', params.service ?? '');
    if (params.scope) {
      url.searchParams.set('scope', params.scope);
    }
    const res = await fetch(url, {
      headers: this.key === undefined ? {} : { authorization: basic('unused', this.key) },
    });
    if (res.status !== 200) {
      return undefined;
    }
    return ((await res.json()) as { token: string }).token;
  }

  /** Monolithic upload (POST ?digest=). Returns the digest. */
  async pushBlob(name: string, bytes: Uint8Array | string): Promise<string> {
    const digest = sha256(bytes);
    const res = await this.request('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status !== 201) {
      throw new Error(`blob push failed: ${res.status} ${res.body.toString()}`);
    }
    return digest;
  }

  /** PUT of a manifest; returns the response. */
  async putManifest(
    name: string,
    ref: string,
    manifest: unknown,
    mediaType: string,
  ): Promise<ClientResponse> {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    return this.request('PUT', `/v2/${name}/manifests/${ref}`, {
      body,
      headers: { 'content-type': mediaType },
    });
  }

  /** Pushes a config and one layer, then an OCI image manifest under `tag`. */
  async pushImage(
    name: string,
    tag: string,
    layer: Uint8Array | string = `layer ${name} ${tag} ${Math.random()}`,
  ): Promise<{ digest: string; manifest: Record<string, unknown>; body: string }> {
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    const configDigest = await this.pushBlob(name, config);
    const layerDigest = await this.pushBlob(name, layer);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: Buffer.byteLength(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: layerDigest,
          size: Buffer.byteLength(layer),
        },
      ],
    };
    const body = JSON.stringify(manifest);
    const res = await this.putManifest(name, tag, body, OCI_MANIFEST);
    if (res.status !== 201) {
      throw new Error(`manifest push failed: ${res.status} ${res.body.toString()}`);
    }
    return { digest: sha256(body), manifest, body };
  }
}

/** OCI media types used in tests. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** A `Basic` Authorization header value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function wrap(status: number, headers: Headers, body: Buffer): ClientResponse {
  let code: string | undefined;
  if (status >= 400) {
    try {
      code = (JSON.parse(body.toString()) as { errors?: { code?: string }[] }).errors?.[0]?.code;
    } catch {
      code = undefined;
    }
  }
  return {
    status,
    headers,
    body,
    code,
    json: <T>() => JSON.parse(body.toString()) as T,
  };
}

/** Pushes the image a tag of an OCI layout points at (manifest, config and layers). */
export async function pushOciLayout(
  client: RegistryClient,
  dir: string,
  name: string,
  tag: string,
): Promise<string> {
  const blob = (digest: string) => readFile(join(dir, 'blobs', ...digest.split(':')));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[];
  };
  const entry =
    index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) ??
    index.manifests[0];
  if (entry === undefined) {
    throw new Error(`${dir} has no manifest`);
  }
  const body = await blob(entry.digest);
  const manifest = JSON.parse(body.toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    await client.pushBlob(name, await blob(d));
  }
  const res = await client.putManifest(name, tag, body.toString(), entry.mediaType);
  if (res.status !== 201) {
    throw new Error(`manifest push failed: ${res.status} ${res.body.toString()}`);
  }
  return entry.digest;
}
