/**
 * Base image references as rebuild triggers compare them: `FROM ubi9`, `docker.io/library/ubi9`
 * and `docker.io/library/ubi9:latest` are one tag, and Hallmark's own registry answers to its
 * public host and, on loopback, to every loopback name with its port.
 */
import { parseImageReference } from '../../engine/image/reference.js';

/** A base reduced to what names a tag: its registry host, repository and tag. */
export interface BaseReference {
  /** Lower-case `host[:port]`; Docker Hub is `registry-1.docker.io`, where its API lives. */
  readonly registry: string;
  readonly repository: string;
  /** `latest` when the reference names none. */
  readonly tag: string;
  /** A pinned digest (`FROM x@sha256:…`): no new digest can come for it. */
  readonly digest?: string;
  /** `registry/repository:tag`, the key references are grouped by. */
  readonly key: string;
}

/**
 * Parses a base as a build recorded it (`host/ns/repo:tag`, `ubi9`, `x@sha256:…`); undefined for
 * `scratch` and anything that is not a registry reference.
 */
export function parseBaseReference(reference: string): BaseReference | undefined {
  if (reference === '' || reference.toLowerCase() === 'scratch' || reference.includes('://')) {
    return undefined;
  }
  let parsed;
  try {
    parsed = parseImageReference(`docker://${reference}`);
  } catch {
    return undefined;
  }
  if (parsed.transport !== 'docker') {
    return undefined;
  }
  const registry = parsed.registry.toLowerCase();
  const tag = parsed.tag ?? 'latest';
  return {
    registry,
    repository: parsed.repository,
    tag,
    ...(parsed.digest === undefined ? {} : { digest: parsed.digest }),
    key: `${registry}/${parsed.repository}:${tag}`,
  };
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The `host[:port]` names under which Dockerfiles reach Hallmark's own registry, from the URLs the
 * server answers at (`server.publicUrl`, the listening address): each as written, with its
 * default port spelt out, and for a loopback address every loopback name with the same port.
 */
export function ownRegistryHosts(urls: readonly (string | undefined)[]): ReadonlySet<string> {
  const hosts = new Set<string>();
  for (const text of urls) {
    if (text === undefined) {
      continue;
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      continue;
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    const names = LOOPBACK_NAMES.includes(url.hostname) ? LOOPBACK_NAMES : [url.hostname];
    for (const name of names) {
      hosts.add(`${name}:${port}`.toLowerCase());
      if (url.port === '') {
        hosts.add(name.toLowerCase());
      }
    }
  }
  return hosts;
}
