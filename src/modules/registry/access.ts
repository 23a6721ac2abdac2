/**
 * Who may do what in the registry. A registry key (any user name, as `docker login -u unused`)
 * reads, writes and deletes its own project's namespace. A user's personal API token (`hmt_…`,
 * any user name) pulls and pushes in the namespaces of the user's company's projects, and deletes
 * there when the user is an org admin; staff pull everywhere. Everyone, signed in or not, may
 * pull what is published: a tag while it points at a published image of that tag, a published
 * digest, and the blobs of published manifests (`store.ts` holds those rules). Clients present
 * the credential directly (Basic) or a token obtained with it.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { findApiTokenUser, type AddressGuard, type ApiTokenUser } from '../accounts/index.js';
import {
  findProject,
  findProjectByKey,
  findProjectByNamespace,
  type Project,
} from '../projects/index.js';
import { RegistryError } from './errors.js';
import { splitRepositoryName } from './names.js';
import type { PublishedImage, PublishedImagesSource } from './published.js';
import { findRepository } from './store.js';
import type { Action, Grant, TokenClaims, TokenSigner } from './tokens.js';

/** Whoever sent a request. */
export type Principal =
  | { readonly kind: 'anonymous'; readonly grants?: readonly Grant[] }
  | { readonly kind: 'project'; readonly project: Project; readonly grants?: readonly Grant[] }
  | { readonly kind: 'user'; readonly token: ApiTokenUser; readonly grants?: readonly Grant[] };

/** Registry tokens issued with a personal API token name it as `sub: "token:<id>"`. */
const USER_SUBJECT = 'token:';

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
 * Identifies the sender from the Authorization header. A `Basic` credential (registry key or API
 * token) is checked only while the sender's address has not failed too often, and a wrong one
 * counts against the address; `Bearer` tokens are signed, so checking them costs no lookup.
 * @throws RegistryError UNAUTHORIZED for a wrong key or an invalid or expired token
 * @throws AppError `auth.rate_limited` (429) when the address failed too often
 */
export async function authenticate(
  db: Kysely<DB>,
  signer: TokenSigner,
  authorization: string | undefined,
  realm: Realm,
  nowSeconds: number,
  guard: AddressGuard,
): Promise<Principal> {
  if (authorization === undefined || authorization === '') {
    return { kind: 'anonymous' };
  }
  const [scheme, value = ''] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'basic') {
    guard.refuseIfBlocked();
    const secret = basicPassword(value);
    if (secret?.startsWith(API_TOKEN_PREFIX)) {
      const token = await findApiTokenUser(db, { secret }, new Date(nowSeconds * 1000));
      if (token === undefined) {
        guard.failed('api_token');
        throw unauthorized(realm, 'The API token is unknown, revoked or expired.');
      }
      return { kind: 'user', token };
    }
    const project =
      secret === undefined
        ? undefined
        : await findProjectByKey(db, secret, new Date(nowSeconds * 1000));
    if (project === undefined) {
      guard.failed('registry_key');
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
    if (claims.sub.startsWith(USER_SUBJECT)) {
      const id = claims.sub.slice(USER_SUBJECT.length);
      const token = await findApiTokenUser(db, { id }, new Date(nowSeconds * 1000));
      if (token === undefined || token.tokenHash.slice(0, KEY_FINGERPRINT_LENGTH) !== claims.kf) {
        throw unauthorized(
          realm,
          'The API token this token was issued for was revoked; log in again.',
        );
      }
      return { kind: 'user', token, grants: claims.access };
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

/** How personal API tokens begin; registry keys begin with `hmk_`. */
const API_TOKEN_PREFIX = 'hmt_';

/** The password of a `Basic` credential, whatever the user name; undefined when empty. */
function basicPassword(value: string): string | undefined {
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password === '' ? undefined : password;
}

/**
 * A stable name of who the principal is, whatever credential it came with (`project:<id>`,
 * `user:<id>`); undefined for anonymous callers.
 */
export function principalKey(principal: Principal): string | undefined {
  return principal.kind === 'project'
    ? `project:${principal.project.id}`
    : principal.kind === 'user'
      ? `user:${principal.token.user.id}`
      : undefined;
}

/** What the principal's identity allows on a repository, and the project owning it when known. */
export interface Allowed {
  readonly actions: readonly Action[];
  readonly mode: AccessMode | undefined;
  /** The project of the namespace, for principals that may write there (pushes create in it). */
  readonly projectId?: string;
  /** In mode `published`, the published images of the repository: all that may be pulled. */
  readonly published?: readonly PublishedImage[];
}

/**
 * The actions the principal's identity allows on `name` (ignoring token scopes): everything in its
 * own namespace, pull where something is published, nothing otherwise.
 */
export async function allowedActions(
  db: Kysely<DB>,
  principal: Principal,
  name: string,
  publishedImages: PublishedImagesSource,
): Promise<Allowed> {
  const parts = splitRepositoryName(name);
  if (parts === undefined) {
    return { actions: [], mode: undefined };
  }
  if (principal.kind === 'project' && principal.project.namespace === parts.namespace) {
    return {
      actions: ['pull', 'push', 'delete'],
      mode: 'owner',
      projectId: principal.project.id,
    };
  }
  if (principal.kind === 'user') {
    const user = principal.token.user;
    const project = await findProjectByNamespace(db, parts.namespace);
    if (project !== undefined && user.companyId === project.company_id) {
      return {
        actions: user.orgAdmin ? ['pull', 'push', 'delete'] : ['pull', 'push'],
        mode: 'owner',
        projectId: project.id,
      };
    }
    if (project !== undefined && user.staff) {
      return { actions: ['pull'], mode: 'owner' };
    }
  }
  const repository = await findRepository(db, parts.namespace, parts.repository);
  const published = repository === undefined ? [] : await publishedImages(db, repository.id);
  if (published.length > 0) {
    return { actions: ['pull'], mode: 'published', published };
  }
  return { actions: [], mode: undefined };
}

/**
 * Checks that the principal may perform `action` on `name`; returns how, and the owning project
 * when the principal may write there.
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
  publishedImages: PublishedImagesSource,
): Promise<{ mode: AccessMode; projectId?: string; published?: readonly PublishedImage[] }> {
  const allowed = await allowedActions(db, principal, name, publishedImages);
  const scope = `repository:${name}:${action === 'pull' ? 'pull' : action === 'push' ? 'pull,push' : action}`;
  if (!allowed.actions.includes(action) || allowed.mode === undefined) {
    if (principal.kind === 'anonymous') {
      throw unauthorized(realm, `Authentication is required to ${action} ${name}.`, scope);
    }
    const who =
      principal.kind === 'project'
        ? `The registry key of project ${principal.project.namespace}`
        : `User ${principal.token.user.login}`;
    throw new RegistryError('DENIED', `${who} may not ${action} ${name}.`, {
      detail: { name, action },
    });
  }
  const grants = principal.grants;
  if (grants !== undefined && !grants.some((g) => g.name === name && g.actions.includes(action))) {
    // The token was issued for other repositories: the client asks for this scope and retries.
    throw unauthorized(realm, `The token does not cover ${action} on ${name}.`, scope, true);
  }
  return {
    mode: allowed.mode,
    ...(allowed.projectId === undefined ? {} : { projectId: allowed.projectId }),
    ...(allowed.published === undefined ? {} : { published: allowed.published }),
  };
}

/** The claims of a token for `principal` covering what it asked for and is allowed. */
export async function grantToken(
  db: Kysely<DB>,
  principal: Principal,
  requested: readonly Grant[],
  service: string,
  nowSeconds: number,
  ttlSeconds: number,
  publishedImages: PublishedImagesSource,
): Promise<TokenClaims> {
  const access: Grant[] = [];
  for (const want of requested) {
    const allowed = await allowedActions(db, principal, want.name, publishedImages);
    const actions = want.actions.filter((a) => allowed.actions.includes(a));
    if (actions.length > 0) {
      access.push({ name: want.name, actions });
    }
  }
  const [sub, hash] =
    principal.kind === 'project'
      ? [principal.project.id, principal.project.registry_key_hash]
      : principal.kind === 'user'
        ? [`${USER_SUBJECT}${principal.token.tokenId}`, principal.token.tokenHash]
        : [null, null];
  return {
    sub,
    kf: hash?.slice(0, KEY_FINGERPRINT_LENGTH) ?? null,
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
