/**
 * Registry authentication as Docker clients do it: a 401 carries a `WWW-Authenticate`
 * challenge; `Basic` means send the credentials, `Bearer realm=…,service=…,scope=…` means fetch
 * a token from the realm (with the credentials, if any) and send that.
 */
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { ImageReadError, describeError } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';

/** A parsed `WWW-Authenticate` challenge. */
export type Challenge =
  { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service?: string; scope?: string };

/** Parses a `WWW-Authenticate` header; undefined for schemes registries do not use. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  if (scheme === 'basic') {
    return { scheme: 'basic' };
  }
  if (scheme !== 'bearer') {
    return undefined;
  }
  const params = new Map<string, string>();
  // Values are quoted strings (commas inside allowed, as in multi-scope challenges) or tokens.
  for (const m of (match?.[2] ?? '').matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    if (m[1]) {
      params.set(m[1].toLowerCase(), (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
    }
  }
  const realm = params.get('realm');
  if (!realm) {
    return undefined;
  }
  const service = params.get('service');
  const scope = params.get('scope');
  return {
    scheme: 'bearer',
    realm,
    ...(service ? { service } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** The `Authorization` value for HTTP basic auth. */
export function basicAuth(creds: { username: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
}

/**
 * Fetches a bearer token for a challenge. @throws ImageReadError image.registry_unauthorized,
 * image.registry_unreachable
 */
export async function fetchToken(
  registry: string,
  challenge: { realm: string; service?: string; scope?: string },
  basic: string | undefined,
  dispatcher: Dispatcher,
  signal: AbortSignal | undefined,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch {
    throw new ImageReadError(
      'image.registry_unauthorized',
      `${registry}: the token realm "${challenge.realm}" is not a URL`,
    );
  }
  if (challenge.service) {
    url.searchParams.set('service', challenge.service);
  }
  if (challenge.scope) {
    url.searchParams.set('scope', challenge.scope);
  }
  const where = `${registry}: token endpoint ${url.origin}${url.pathname}`;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { 'user-agent': 'hallmark', ...(basic ? { authorization: basic } : {}) },
      dispatcher,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new ImageReadError(
      'image.registry_unreachable',
      `${where} cannot be reached (${describeError(err)})`,
      {
        cause: err,
      },
    );
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new ImageReadError(
      'image.registry_unauthorized',
      `${where} refused ${basic ? 'the credentials' : 'anonymous access; pass --creds USER:PASSWORD'} (HTTP ${res.statusCode})`,
      { detail: { status: res.statusCode } },
    );
  }
  const json: unknown = await res.body.json().catch(() => undefined);
  const token = prop(json, 'token') ?? prop(json, 'access_token');
  if (typeof token !== 'string' || token === '') {
    throw new ImageReadError('image.registry_unauthorized', `${where} returned no token`);
  }
  return token;
}
