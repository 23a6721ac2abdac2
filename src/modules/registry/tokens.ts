/**
 * Registry bearer tokens: compact JWTs (HS256) naming the project (or the user's API token), a
 * fingerprint of its current key and the repositories and actions granted, as the Docker token
 * protocol expects. A rotated key changes the fingerprint, and a revoked API token is looked up,
 * so every token issued with either stops working at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { settingOrInit } from '../../platform/db/index.js';

/** What a token may allow on a repository. */
export type Action = 'pull' | 'push' | 'delete';

/** Actions granted on one repository. */
export interface Grant {
  readonly name: string;
  readonly actions: readonly Action[];
}

/** The claims this registry puts in its tokens. */
export interface TokenClaims {
  /** Project id, `token:<API token id>` for a user's token, or null for an anonymous token. */
  readonly sub: string | null;
  /** First characters of the hash of the key or API token the token was issued for. */
  readonly kf: string | null;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly access: readonly Grant[];
}

/** How long a token lives; clients fetch a new one on the next 401. */
export const TOKEN_TTL_SECONDS = 300;

const SECRET_KEY = 'registry.token_secret';
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const ACTIONS: ReadonlySet<string> = new Set<Action>(['pull', 'push', 'delete']);

/** Signs and verifies tokens with the server's secret. */
export class TokenSigner {
  private readonly secret: Buffer;

  constructor(secret: Buffer) {
    this.secret = secret;
  }

  sign(claims: TokenClaims): string {
    const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The claims of a genuine, unexpired token, else undefined. */
  verify(token: string, nowSeconds: number): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) {
      return undefined;
    }
    const [header, payload, signature] = parts as [string, string, string];
    const expected = this.mac(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return undefined;
    }
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    return typeof claims.exp === 'number' && claims.exp > nowSeconds ? claims : undefined;
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(data).digest();
  }
}

/**
 * The token secret shared by every server process on this database, created on first use.
 */
export async function loadTokenSecret(db: Kysely<DB>, now: Date): Promise<Buffer> {
  const value = await settingOrInit(db, SECRET_KEY, () => randomBytes(32).toString('base64'), now);
  return Buffer.from(value, 'base64');
}

/**
 * Parses `scope` parameters (`repository:NAME:pull,push`, several allowed). Unknown resource types
 * (`registry:catalog:*`) and unknown actions are ignored; `*` means every action.
 */
export function parseScopes(values: readonly string[]): Grant[] {
  const grants = new Map<string, Set<Action>>();
  for (const value of values.flatMap((v) => v.split(' '))) {
    const first = value.indexOf(':');
    const last = value.lastIndexOf(':');
    if (first <= 0 || last <= first) {
      continue;
    }
    const type = value.slice(0, first).replace(/\(.*\)$/, '');
    if (type !== 'repository') {
      continue;
    }
    const name = value.slice(first + 1, last);
    const actions = grants.get(name) ?? new Set<Action>();
    for (const action of value.slice(last + 1).split(',')) {
      if (action === '*') {
        ACTIONS.forEach((a) => actions.add(a as Action));
      } else if (ACTIONS.has(action)) {
        actions.add(action as Action);
      }
    }
    grants.set(name, actions);
  }
  return [...grants].map(([name, actions]) => ({ name, actions: [...actions] }));
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
