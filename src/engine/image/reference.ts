/** Image references in the transports people know from skopeo and buildah. */
import { invalid } from '../../platform/errors.js';

/** A parsed image reference. */
export type ImageReference =
  | { transport: 'oci'; dir: string; tag?: string }
  | { transport: 'docker-archive'; file: string; ref?: string }
  | { transport: 'docker'; registry: string; repository: string; tag?: string; digest?: string };

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG = /^\w[\w.-]{0,127}$/;
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPO = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const USAGE =
  'use oci:DIR[:TAG], docker-archive:FILE.tar[:REF] or docker://HOST[:PORT]/REPO[:TAG|@DIGEST]';

/** True for a well-formed content digest such as `sha256:<64 hex>`. */
export function isDigest(value: string): boolean {
  if (value.startsWith('sha256:')) {
    return /^sha256:[a-f0-9]{64}$/.test(value);
  }
  if (value.startsWith('sha512:')) {
    return /^sha512:[a-f0-9]{128}$/.test(value);
  }
  return DIGEST.test(value);
}

/**
 * Parses `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]` or `docker://HOST/REPO[:TAG|@DIGEST]`.
 * As in skopeo, the path ends at the first colon, so a TAG or REF may itself hold colons
 * (`oci:/tmp/x:example.com/app:1.0`).
 * @throws AppError image.reference_invalid
 */
export function parseImageReference(ref: string): ImageReference {
  if (ref.startsWith('oci:')) {
    const [dir, tag] = splitPath(ref.slice('oci:'.length), ref);
    return { transport: 'oci', dir, ...(tag !== undefined ? { tag } : {}) };
  }
  if (ref.startsWith('docker-archive:')) {
    const [file, name] = splitPath(ref.slice('docker-archive:'.length), ref);
    return { transport: 'docker-archive', file, ...(name !== undefined ? { ref: name } : {}) };
  }
  if (ref.startsWith('docker://')) {
    return parseDockerReference(ref.slice('docker://'.length), ref);
  }
  throw invalid('image.reference_invalid', `"${ref}" is not an image reference: ${USAGE}`);
}

function splitPath(rest: string, ref: string): [string, string | undefined] {
  const colon = rest.indexOf(':');
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const name = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === '') {
    throw invalid('image.reference_invalid', `"${ref}" names no path: ${USAGE}`);
  }
  if (name === '') {
    throw invalid('image.reference_invalid', `"${ref}" ends with ":" but names no image after it`);
  }
  return [path, name];
}

function parseDockerReference(rest: string, ref: string): ImageReference {
  let name = rest;
  let digest: string | undefined;
  let tag: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!isDigest(digest)) {
      throw invalid('image.reference_invalid', `"${ref}": "${digest}" is not a valid digest`);
    }
  }
  const slash = name.indexOf('/');
  const lastColon = name.lastIndexOf(':');
  if (lastColon > slash) {
    tag = name.slice(lastColon + 1);
    name = name.slice(0, lastColon);
    if (!TAG.test(tag)) {
      throw invalid('image.reference_invalid', `"${ref}": "${tag}" is not a valid tag`);
    }
  }
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  let registry = hasHost ? first : 'docker.io';
  let repository = hasHost ? name.slice(slash + 1) : name;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    // Docker Hub's API lives on another host, and official images sit under library/.
    registry = 'registry-1.docker.io';
    repository = repository.includes('/') ? repository : `library/${repository}`;
  }
  if (!REPO.test(repository)) {
    throw invalid(
      'image.reference_invalid',
      `"${ref}": "${repository}" is not a valid repository name (lower case, digits, . _ - /)`,
    );
  }
  return {
    transport: 'docker',
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
