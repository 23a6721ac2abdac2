/**
 * A minimal Docker Registry HTTP API v2 / OCI distribution client: manifests, blobs and tag
 * lists, with anonymous, basic and bearer-token auth as Docker clients do it.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { ImageReadError, describeError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from './manifest.js';

/** Connection settings for one registry. */
export interface RegistryOptions {
  registry: string;
  creds?: { username: string; password: string };
  tlsVerify: boolean;
  signal?: AbortSignal;
}

type Challenge =
  { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string; scope?: string };

/** Parses a `WWW-Authenticate` header. */
export function parseChallenge(header: string): Challenge | undefined {
  const [scheme, ...rest] = header.trim().split(/\s+/);
  if (scheme?.toLowerCase() === 'basic') {
    return { scheme: 'basic' };
  }
  if (scheme?.toLowerCase() !== 'bearer') {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (const m of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) {
    if (m[1] && m[2] !== undefined) {
      params[m[1]] = m[2];
    }
  }
  if (!params.realm) {
    return undefined;
  }
  return {
    scheme: 'bearer',
    realm: params.realm,
    ...(params.service ? { service: params.service } : {}),
    ...(params.scope ? { scope: params.scope } : {}),
  };
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

/** A client bound to one registry host. */
export class RegistryClient {
  private readonly opts: RegistryOptions;
  private readonly dispatcher: Dispatcher;
  private base: string | undefined;
  private authHeader: string | undefined;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
    this.dispatcher = new Agent({ connect: { rejectUnauthorized: opts.tlsVerify } });
  }

  /** Fetches a manifest by tag or digest. */
  async getManifest(
    repo: string,
    ref: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string | undefined }> {
    const res = await this.send('GET', `/v2/${repo}/manifests/${ref}`, { accept: MANIFEST_ACCEPT });
    const bytes = await this.body(res, MAX_MANIFEST_BYTES, `${repo}:${ref}`);
    return {
      bytes,
      mediaType: header(res, 'content-type') ?? '',
      digest: header(res, 'docker-content-digest'),
    };
  }

  /** Digest of a tag's manifest, via HEAD. */
  async headManifest(repo: string, ref: string): Promise<string | undefined> {
    const res = await this.send('HEAD', `/v2/${repo}/manifests/${ref}`, {
      accept: MANIFEST_ACCEPT,
    });
    return header(res, 'docker-content-digest');
  }

  /** Fetches a small blob (a config). */
  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, {});
    return this.body(res, MAX_MANIFEST_BYTES, `${repo}@${digest}`);
  }

  /** Streams a blob (a layer). */
  async openBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.send('GET', `/v2/${repo}/blobs/${digest}`, {});
    return res.body;
  }

  /** Lists tags, following `Link` pagination, up to `max`. */
  async listTags(repo: string, max = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list?n=100`;
    while (path && tags.length < max) {
      const res = await this.send('GET', path, {});
      const json: unknown = JSON.parse(
        (await this.body(res, MAX_MANIFEST_BYTES, `${repo} tags`)).toString('utf8'),
      );
      const list = prop(json, 'tags');
      if (Array.isArray(list)) {
        tags.push(...list.filter((t): t is string => typeof t === 'string'));
      }
      const link = header(res, 'link');
      path = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
    }
    return tags.slice(0, max);
  }

  /** Releases connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    let res = await this.raw(method, path, headers);
    if (res.statusCode === 401) {
      await res.body.dump();
      await this.authenticate(header(res, 'www-authenticate') ?? '', path);
      res = await this.raw(method, path, headers);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      throw new ImageReadError(
        'image.registry_unauthorized',
        `${this.opts.registry}: ${method} ${path} was refused (${res.statusCode}); check --creds`,
      );
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      throw new ImageReadError(
        path.includes('/manifests/') ? 'image.manifest_unknown' : 'image.blob_unknown',
        `${this.opts.registry}: ${path} does not exist (404)`,
      );
    }
    if (res.statusCode >= 300) {
      await res.body.dump();
      throw new ImageReadError(
        'image.registry_error',
        `${this.opts.registry}: ${method} ${path} answered ${res.statusCode}`,
      );
    }
    return res;
  }

  private async raw(
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    const all = {
      ...headers,
      ...(this.authHeader ? { authorization: this.authHeader } : {}),
      'user-agent': 'hallmark',
    };
    const base = await this.baseUrl();
    let url = path.startsWith('http') ? path : base + path;
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.fetch(url, method, all);
      if (res.statusCode >= 300 && res.statusCode < 400 && header(res, 'location')) {
        await res.body.dump();
        url = new URL(header(res, 'location') ?? '', url).toString();
        // Redirected blob downloads (object storage) must not receive registry credentials.
        delete all.authorization;
        continue;
      }
      return res;
    }
    throw new ImageReadError(
      'image.registry_error',
      `${this.opts.registry}: too many redirects for ${path}`,
    );
  }

  private async fetch(
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, {
        method,
        headers,
        dispatcher: this.dispatcher,
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      });
    } catch (err) {
      throw new ImageReadError(
        'image.registry_unreachable',
        `${this.opts.registry}: cannot reach ${url} (${describeError(err)})`,
        { cause: err },
      );
    }
  }

  /** https first; plain http only for loopback registries or with --tls-verify=false. */
  private async baseUrl(): Promise<string> {
    if (this.base) {
      return this.base;
    }
    const https = `https://${this.opts.registry}`;
    const insecureAllowed = !this.opts.tlsVerify || isLoopback(this.opts.registry);
    try {
      const res = await request(`${https}/v2/`, {
        method: 'GET',
        dispatcher: this.dispatcher,
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      });
      await res.body.dump();
      this.base = https;
    } catch (err) {
      if (!insecureAllowed) {
        throw new ImageReadError(
          'image.registry_unreachable',
          `${this.opts.registry}: cannot reach ${https}/v2/ (${describeError(err)}); for a plain-http registry pass --tls-verify=false`,
          { cause: err },
        );
      }
      this.base = `http://${this.opts.registry}`;
    }
    return this.base;
  }

  private async authenticate(wwwAuth: string, path: string): Promise<void> {
    const challenge = parseChallenge(wwwAuth);
    const basic = this.opts.creds
      ? 'Basic ' +
        Buffer.from(`${this.opts.creds.username}:${this.opts.creds.password}`).toString('base64')
      : undefined;
    if (!challenge) {
      throw new ImageReadError(
        'image.registry_unauthorized',
        `${this.opts.registry}: ${path} needs authentication the registry did not describe`,
      );
    }
    if (challenge.scheme === 'basic') {
      if (!basic) {
        throw new ImageReadError(
          'image.registry_unauthorized',
          `${this.opts.registry}: ${path} needs credentials; pass --creds USER:PASSWORD`,
        );
      }
      this.authHeader = basic;
      return;
    }
    const url = new URL(challenge.realm);
    if (challenge.service) {
      url.searchParams.set('service', challenge.service);
    }
    if (challenge.scope) {
      url.searchParams.set('scope', challenge.scope);
    }
    const res = await this.fetch(url.toString(), 'GET', basic ? { authorization: basic } : {});
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new ImageReadError(
        'image.registry_unauthorized',
        `${this.opts.registry}: token endpoint ${url.origin}${url.pathname} refused ${basic ? 'the credentials' : 'anonymous access'} (${res.statusCode})`,
      );
    }
    const json: unknown = await res.body.json();
    const token = prop(json, 'token') ?? prop(json, 'access_token');
    if (typeof token !== 'string') {
      throw new ImageReadError(
        'image.registry_unauthorized',
        `${this.opts.registry}: token endpoint returned no token`,
      );
    }
    this.authHeader = `Bearer ${token}`;
  }

  private async body(res: Dispatcher.ResponseData, max: number, what: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > max) {
        res.body.destroy();
        throw new ImageReadError(
          'image.manifest_invalid',
          `${this.opts.registry}: ${what} is larger than ${max} bytes`,
        );
      }
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  }
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
