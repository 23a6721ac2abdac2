/** The grammar of repository names, tags and digests (OCI Distribution 1.1, "Pulling manifests"). */

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Any algorithm:encoded pair, to tell "a digest we cannot handle" from "not a digest". */
const DIGEST_SHAPE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Longest repository name accepted, as CNCF Distribution does. */
export const MAX_NAME_LENGTH = 255;

/** True for a valid repository name such as `ospid-0ad3dd53-7bfd-4f8a/plugin`. */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

/** True for a valid tag. */
export function isTag(ref: string): boolean {
  return TAG.test(ref);
}

/** True for a digest this registry stores (sha256 or sha512, lower-case hex). */
export function isSupportedDigest(ref: string): boolean {
  return DIGEST.test(ref);
}

/** True when `ref` has the shape of a digest, supported or not. */
export function looksLikeDigest(ref: string): boolean {
  return DIGEST_SHAPE.test(ref);
}

/** Splits `namespace/rest` into its namespace (the project's) and the repository inside it. */
export function splitRepositoryName(
  name: string,
): { namespace: string; repository: string } | undefined {
  const slash = name.indexOf('/');
  if (slash <= 0) {
    return undefined;
  }
  return { namespace: name.slice(0, slash), repository: name.slice(slash + 1) };
}
