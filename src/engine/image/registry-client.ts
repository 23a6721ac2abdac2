/**
 * A small Docker Registry HTTP API v2 / OCI distribution client: manifests, blobs and tag lists,
 * with anonymous, basic and bearer-token auth (tokens cached per scope).
 *
 * Plain http: the client always tries https first. It falls back to plain http only when the
 * https attempt fails at the connection level (refused, TLS handshake against a plain-http port)
 * and the registry is on loopback (localhost, 127.0.0.0/8, ::1) or `tlsVerify` is false.
 * `tlsVerify: false` also accepts self-signed certificates.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { ImageReadError, describeError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from './manifest.js';
import { basicAuth, fetchToken, parseChallenge } from './registry-auth.js';
import { errorReason, header, nextLink, parseJson, readBody } from './registry-http.js';

/** Connection settings for one registry. */
export interface RegistryOptions {
  registry: string;
  creds?: { username: string; password: string };
  tlsVerify: boolean;
  signal?: AbortSignal;
}

type Method = 'GET' | 'HEAD';

interface Call {
  method: Method;
  repo: string;
  /** A path under the registry (`/v2/…`) or an absolute URL from a `Link` header. */
  path: string;
  /** What is asked for, for messages: `manifest acme/app:1.0`. */
  what: string;
  accept?: string;
}

/** True for localhost, 127.0.0.0/8 and ::1 (with or without a port). */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** A client bound to one registry host. */
export class RegistryClient {
  private readonly opts: RegistryOptions;
  private readonly dispatcher: Dispatcher;
  private base: string | undefined;
  /** `Authorization` values by scope (`repository:acme/app:pull`). */
  private readonly auth = new Map<string, string>();

  constructor(opts: RegistryOptions) {
    this.opts = opts;
    this.dispatcher = new Agent({
      connect: { rejectUnauthorized: opts.tlsVerify, timeout: 30_000 },
      headersTimeout: 120_000,
      bodyTimeout: 300_000,
    });
  }

  /** Fetches a manifest by tag or digest. */
  async getManifest(
    repo: string,
    ref: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string | undefined }> {
    const what = `manifest ${repo}${ref.includes(':') ? '@' : ':'}${ref}`;
    const res = await this.send({
      method: 'GET',
      repo,
      path: `/v2/${repo}/manifests/${ref}`,
      what,
      accept: MANIFEST_ACCEPT,
    });
    const bytes = await readBody(res, MAX_MANIFEST_BYTES, `${this.opts.registry}: ${what}`);
    return {
      bytes,
      mediaType: (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '',
      digest: header(res, 'docker-content-digest'),
    };
  }

  /** The digest of a tag's manifest, via HEAD (undefined when the registry does not say). */
  async headManifest(repo: string, ref: string): Promise<string | undefined> {
    const res = await this.send({
      method: 'HEAD',
      repo,
      path: `/v2/${repo}/manifests/${ref}`,
      what: `manifest ${repo}:${ref}`,
      accept: MANIFEST_ACCEPT,
    });
    await res.body.dump();
    return header(res, 'docker-content-digest');
  }

  /** Fetches a small blob (a config) whole. */
  async getBlob(repo: string, digest: string): Promise<Buffer> {
    const what = `blob ${repo}@${digest}`;
    const res = await this.send({ method: 'GET', repo, path: `/v2/${repo}/blobs/${digest}`, what });
    return readBody(res, MAX_MANIFEST_BYTES, `${this.opts.registry}: ${what}`);
  }

  /** Streams a blob (a layer), following redirects to object storage. */
  async openBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.send({
      method: 'GET',
      repo,
      path: `/v2/${repo}/blobs/${digest}`,
      what: `layer ${repo}@${digest}`,
    });
    return res.body;
  }

  /** Lists tags, following `Link` pagination, up to `max`. */
  async listTags(repo: string, max = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list?n=${Math.min(max, 1000)}`;
    for (let page = 0; path && tags.length < max && page < 100; page++) {
      const what = `tag list of ${repo}`;
      const res = await this.send({ method: 'GET', repo, path, what });
      const bytes = await readBody(res, MAX_MANIFEST_BYTES, `${this.opts.registry}: ${what}`);
      const list = prop(parseJson(bytes), 'tags');
      if (Array.isArray(list)) {
        tags.push(...list.filter((t): t is string => typeof t === 'string'));
      }
      path = nextLink(header(res, 'link'));
    }
    return tags.slice(0, max);
  }

  /** Releases connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(call: Call): Promise<Dispatcher.ResponseData> {
    const scope = `repository:${call.repo}:pull`;
    let res = await this.follow(call, this.auth.get(scope));
    if (res.statusCode === 401) {
      const challenge = header(res, 'www-authenticate') ?? '';
      await res.body.dump();
      this.auth.set(scope, await this.authorize(challenge, scope, call));
      res = await this.follow(call, this.auth.get(scope));
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return res;
    }
    throw await this.failure(res, call);
  }

  private async authorize(wwwAuth: string, scope: string, call: Call): Promise<string> {
    const challenge = parseChallenge(wwwAuth);
    const basic = this.opts.creds ? basicAuth(this.opts.creds) : undefined;
    if (!challenge) {
      throw new ImageReadError(
        'image.registry_unauthorized',
        `${this.opts.registry}: ${call.what} needs authentication the registry did not describe (WWW-Authenticate: "${wwwAuth}")`,
      );
    }
    if (challenge.scheme === 'basic') {
      if (!basic) {
        throw new ImageReadError(
          'image.registry_unauthorized',
          `${this.opts.registry}: ${call.what} needs credentials (HTTP 401); pass --creds USER:PASSWORD`,
        );
      }
      return basic;
    }
    const token = await fetchToken(
      this.opts.registry,
      { ...challenge, scope: challenge.scope ?? scope },
      basic,
      this.dispatcher,
      this.opts.signal,
    );
    return `Bearer ${token}`;
  }

  private async failure(res: Dispatcher.ResponseData, call: Call): Promise<ImageReadError> {
    const status = res.statusCode;
    const reason = await errorReason(res);
    const where = `${this.opts.registry}: ${call.what}`;
    const detail = { registry: this.opts.registry, repository: call.repo, status };
    if (status === 401 || status === 403) {
      return new ImageReadError(
        'image.registry_unauthorized',
        `${where} was refused (HTTP ${status}${reason}); ${this.opts.creds ? 'check the credentials given with --creds' : 'pass --creds USER:PASSWORD'}`,
        { detail },
      );
    }
    if (status === 404) {
      const code = call.what.startsWith('manifest')
        ? 'image.manifest_unknown'
        : 'image.blob_unknown';
      return new ImageReadError(code, `${where} does not exist (HTTP 404${reason})`, { detail });
    }
    return new ImageReadError(
      'image.registry_error',
      `${where} failed: ${call.method} answered HTTP ${status}${reason}`,
      { detail },
    );
  }

  /** One request with up to 5 redirects; credentials never follow a redirect to another host. */
  private async follow(
    call: Call,
    authorization: string | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': 'hallmark' };
    if (call.accept) {
      headers.accept = call.accept;
    }
    let url = new URL(call.path, await this.baseUrl());
    const origin = url.origin;
    for (let hop = 0; hop <= 5; hop++) {
      const sameHost = url.origin === origin;
      const res = await this.fetch(url, call.method, {
        ...headers,
        ...(authorization && sameHost ? { authorization } : {}),
      });
      const location = header(res, 'location');
      if (res.statusCode < 300 || res.statusCode >= 400 || !location) {
        return res;
      }
      await res.body.dump();
      url = new URL(location, url);
    }
    throw new ImageReadError(
      'image.registry_error',
      `${this.opts.registry}: ${call.what}: more than 5 redirects`,
    );
  }

  private async fetch(
    url: URL,
    method: Method,
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
      if (this.opts.signal?.aborted) {
        throw err;
      }
      throw new ImageReadError(
        'image.registry_unreachable',
        `${this.opts.registry}: cannot reach ${url.origin}${url.pathname} (${describeError(err)})`,
        { cause: err },
      );
    }
  }

  private async baseUrl(): Promise<string> {
    if (this.base) {
      return this.base;
    }
    const https = `https://${this.opts.registry}`;
    const plainAllowed = !this.opts.tlsVerify || isLoopback(this.opts.registry);
    try {
      const res = await this.fetch(new URL('/v2/', https), 'GET', { 'user-agent': 'hallmark' });
      await res.body.dump();
      this.base = https;
    } catch (err) {
      if (!plainAllowed || this.opts.signal?.aborted) {
        throw new ImageReadError(
          'image.registry_unreachable',
          `${this.opts.registry}: cannot reach ${https}/v2/ (${describeError(prop(err, 'cause') ?? err)}); for a registry without TLS pass --tls-verify=false`,
          { cause: err },
        );
      }
      this.base = `http://${this.opts.registry}`;
    }
    return this.base;
  }
}
