/** Image references in the transports people know from skopeo and buildah. */
import { invalid } from '../../platform/errors.js';

/** A parsed image reference. */
export type ImageReference =
  | { transport: 'oci'; dir: string; tag?: string }
  | { transport: 'docker-archive'; file: string; ref?: string }
  | { transport: 'docker'; registry: string; repository: string; tag?: string; digest?: string };

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const REPO = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** True for a well-formed content digest such as `sha256:<64 hex>`. */
export function isDigest(value: string): boolean {
  return (
    DIGEST.test(value) && (!value.startsWith('sha256:') || /^sha256:[a-f0-9]{64}$/.test(value))
  );
}

/** Parses `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]` or `docker://HOST/REPO[:TAG|@DIGEST]`. */
export function parseImageReference(ref: string): ImageReference {
  if (ref.startsWith('oci:')) {
    const rest = ref.slice(4);
    const colon = rest.lastIndexOf(':');
    // A colon inside the path (not the last component) is part of the path, as in skopeo.
    if (colon > 0 && !rest.slice(colon + 1).includes('/')) {
      return {
        transport: 'oci',
        dir: requirePath(rest.slice(0, colon), ref),
        tag: rest.slice(colon + 1),
      };
    }
    return { transport: 'oci', dir: requirePath(rest, ref) };
  }
  if (ref.startsWith('docker-archive:')) {
    const rest = ref.slice('docker-archive:'.length);
    const match = /^(.*?\.tar(?:\.gz)?):(.+)$/.exec(rest);
    if (match?.[1] && match[2]) {
      return { transport: 'docker-archive', file: match[1], ref: match[2] };
    }
    return { transport: 'docker-archive', file: requirePath(rest, ref) };
  }
  if (ref.startsWith('docker://')) {
    return parseDockerReference(ref.slice('docker://'.length), ref);
  }
  throw invalid(
    'image.reference_invalid',
    `"${ref}" is not an image reference: use oci:DIR[:TAG], docker-archive:FILE.tar[:REF] or docker://HOST/REPO[:TAG|@DIGEST]`,
  );
}

function requirePath(path: string, ref: string): string {
  if (path === '') {
    throw invalid('image.reference_invalid', `"${ref}" names no path`);
  }
  return path;
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
  if (lastColon > slash && slash >= 0) {
    tag = name.slice(lastColon + 1);
    name = name.slice(0, lastColon);
    if (!TAG.test(tag)) {
      throw invalid('image.reference_invalid', `"${ref}": "${tag}" is not a valid tag`);
    }
  }
  let registry = 'docker.io';
  let repository = name;
  const first = name.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = name.slice(slash + 1);
  }
  if (registry === 'docker.io') {
    registry = 'registry-1.docker.io';
    if (!repository.includes('/')) {
      repository = `library/${repository}`;
    }
  }
  if (!REPO.test(repository)) {
    throw invalid(
      'image.reference_invalid',
      `"${ref}": "${repository}" is not a valid repository name`,
    );
  }
  return {
    transport: 'docker',
    registry,
    repository,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}
