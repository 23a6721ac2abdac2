/**
 * Who may do what in the registry. A registry key (any user name, as `docker login -u unused`)
 * reads, writes and deletes its own project's namespace; everyone, signed in or not, may pull
 * what is published. Clients present the key directly (Basic) or a token obtained with it.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { findProject, findProjectByKey, type Project } from '../projects/index.js';
import { RegistryError } from './errors.js';
import { splitRepositoryName } from './names.js';
import { hasPublishedImage, findRepository } from './store.js';
import type { Action, Grant, TokenClaims, TokenSigner } from './tokens.js';

/** Whoever sent a request. */
export type Principal =
  | { readonly kind: 'anonymous'; readonly grants?: readonly Grant[] }
  | { readonly kind: 'project'; readonly project: Project; readonly grants?: readonly Grant[] };

/** How a request may touch a repository: as its owner, or only what is published. */
export type AccessMode = 'owner' | 'published';

/** Where clients get tokens, for the `WWW-Authenticate` challenge. */
export interface Realm {
  readonly realm: string;
  readonly service: string;
}

/** The characters of a key hash that a token carries, to notice a rotated key. */
export const KEY_FINGERPRINT_LENGTH = 16;

/**
 * Identifies the sender from the Authorization header.
 * @throws RegistryError UNAUTHORIZED for a wrong key or an invalid or expired token
 */
export async function authenticate(
  db: Kysely<DB>,
  signer: TokenSigner,
  authorization: string | undefined,
  realm: Realm,
  nowSeconds: number,
): Promise<Principal> {
  if (authorization === undefined || authorization === '') {
    return { kind: 'anonymous' };
  }
  const [scheme, value = ''] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'basic') {
    const project = await projectFromBasic(db, value);
    if (project === undefined) {
      throw unauthorized(realm, 'The registry key is wrong or was rotated.');
    }
    return { kind: 'project', project };
  }
  if (scheme?.toLowerCase() === 'bearer') {
    const claims = signer.verify(value.trim(), nowSeconds);
    if (claims === undefined || claims.aud !== realm.service) {
      throw unauthorized(realm, 'The token is invalid or expired; request a new one.');
    }
    if (claims.sub === null) {
      return { kind: 'anonymous', grants: claims.access };
    }
    const project = await findProject(db, claims.sub);
    if (
      project === undefined ||
      project.registry_key_hash.slice(0, KEY_FINGERPRINT_LENGTH) !== claims.kf
    ) {
      throw unauthorized(
        realm,
        'The registry key this token was issued for was rotated; log in again.',
      );
    }
    return { kind: 'project', project, grants: claims.access };
  }
  throw unauthorized(
    realm,
    `Authorization scheme ${scheme ?? ''} is not supported; use Basic or Bearer.`,
  );
}

/** The project a `Basic` credential's password names, whatever the user name. */
export async function projectFromBasic(
  db: Kysely<DB>,
  value: string,
): Promise<Project | undefined> {
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  const key = decoded.slice(colon + 1);
  return key === '' ? undefined : findProjectByKey(db, key);
}

/**
 * The actions the principal's identity allows on `name` (ignoring token scopes): everything in its
 * own namespace, pull where something is published, nothing otherwise.
 */
export async function allowedActions(
  db: Kysely<DB>,
  principal: Principal,
  name: string,
): Promise<{ actions: readonly Action[]; mode: AccessMode | undefined }> {
  const parts = splitRepositoryName(name);
  if (parts === undefined) {
    return { actions: [], mode: undefined };
  }
  if (principal.kind === 'project' && principal.project.namespace === parts.namespace) {
    return { actions: ['pull', 'push', 'delete'], mode: 'owner' };
  }
  const repository = await findRepository(db, parts.namespace, parts.repository);
  if (repository !== undefined && (await hasPublishedImage(db, repository.id))) {
    return { actions: ['pull'], mode: 'published' };
  }
  return { actions: [], mode: undefined };
}

/**
 * Checks that the principal may perform `action` on `name`; returns how.
 * @throws RegistryError UNAUTHORIZED (401 with a challenge the client can answer by fetching a
 *   token for the right scope, or by logging in) or DENIED (403: the key's project does not own
 *   the namespace)
 */
export async function authorize(
  db: Kysely<DB>,
  principal: Principal,
  name: string,
  action: Action,
  realm: Realm,
): Promise<AccessMode> {
  const allowed = await allowedActions(db, principal, name);
  const scope = `repository:${name}:${action === 'pull' ? 'pull' : action === 'push' ? 'pull,push' : action}`;
  if (!allowed.actions.includes(action) || allowed.mode === undefined) {
    if (principal.kind === 'anonymous') {
      throw unauthorized(realm, `Authentication is required to ${action} ${name}.`, scope);
    }
    throw new RegistryError(
      'DENIED',
      `The registry key of project ${principal.project.namespace} may not ${action} ${name}.`,
      {
        detail: { name, action },
      },
    );
  }
  const grants = principal.grants;
  if (grants !== undefined && !grants.some((g) => g.name === name && g.actions.includes(action))) {
    // The token was issued for other repositories: the client asks for this scope and retries.
    throw unauthorized(realm, `The token does not cover ${action} on ${name}.`, scope, true);
  }
  return allowed.mode;
}

/** The claims of a token for `principal` covering what it asked for and is allowed. */
export async function grantToken(
  db: Kysely<DB>,
  principal: Principal,
  requested: readonly Grant[],
  service: string,
  nowSeconds: number,
  ttlSeconds: number,
): Promise<TokenClaims> {
  const access: Grant[] = [];
  for (const want of requested) {
    const allowed = await allowedActions(db, principal, want.name);
    const actions = want.actions.filter((a) => allowed.actions.includes(a));
    if (actions.length > 0) {
      access.push({ name: want.name, actions });
    }
  }
  const project = principal.kind === 'project' ? principal.project : undefined;
  return {
    sub: project?.id ?? null,
    kf: project?.registry_key_hash.slice(0, KEY_FINGERPRINT_LENGTH) ?? null,
    aud: service,
    iat: nowSeconds,
    exp: nowSeconds + ttlSeconds,
    access,
  };
}

/** A 401 with the Bearer challenge Docker clients follow. */
export function unauthorized(
  realm: Realm,
  message: string,
  scope?: string,
  insufficientScope = false,
): RegistryError {
  const challenge = [
    `Bearer realm="${realm.realm}"`,
    `service="${realm.service}"`,
    ...(scope ? [`scope="${scope}"`] : []),
    ...(insufficientScope ? ['error="insufficient_scope"'] : []),
  ].join(',');
  return new RegistryError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challenge } });
}
