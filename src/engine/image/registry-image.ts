/** The `docker://` transport: an image in a registry. */
import { ImageReadError } from '../../platform/errors.js';
import { digestLike, sha256Digest, verifyDigest } from './digest.js';
import { parseConfig, parseManifest, selectPlatform } from './manifest.js';
import type { Platform } from './manifest.js';
import { RegistryClient } from './registry-client.js';
import type { ImageManifest, ResolvedImage } from './types.js';

/** How many tags are listed, and how many of them are probed, when looking for other tags. */
const MAX_TAGS_LISTED = 1000;
const MAX_TAG_PROBES = 100;
const PROBE_CONCURRENCY = 8;

/** Where the image is, as parsed from the reference. */
export interface RegistryRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Opens an image from a registry. @throws ImageReadError */
export async function resolveRegistryImage(
  reference: string,
  ref: RegistryRef,
  opts: {
    platform: Platform;
    creds?: { username: string; password: string };
    tlsVerify: boolean;
    signal?: AbortSignal;
  },
): Promise<ResolvedImage> {
  const client = new RegistryClient({
    registry: ref.registry,
    tlsVerify: opts.tlsVerify,
    ...(opts.creds ? { creds: opts.creds } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    const repo = ref.repository;
    const { topDigest, digest, manifest } = await fetchImageManifest(client, ref, opts.platform);
    const configBytes = await client.getBlob(repo, manifest.config.digest);
    verifyDigest(configBytes, manifest.config.digest, `${ref.registry}/${repo}: config`);
    const tags = await findTags(client, repo, ref.tag, new Set([topDigest, digest]));
    return {
      reference,
      transport: 'docker',
      digest,
      manifest,
      config: parseConfig(configBytes, `${ref.registry}/${repo}: config ${manifest.config.digest}`),
      tags,
      openLayer: async (i) => {
        const layer = manifest.layers[i];
        if (!layer) {
          throw new ImageReadError('image.layer_unknown', `${ref.registry}/${repo}: no layer ${i}`);
        }
        return client.openBlob(repo, layer.digest);
      },
      close: () => client.close(),
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** The manifest for the platform, the digest the reference reached, and the image digest. */
async function fetchImageManifest(
  client: RegistryClient,
  ref: RegistryRef,
  platform: Platform,
): Promise<{ topDigest: string; digest: string; manifest: ImageManifest }> {
  const repo = ref.repository;
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const where = `${ref.registry}/${repo}${ref.digest ? '@' : ':'}${wanted}`;
  const top = await client.getManifest(repo, wanted);
  // The digest is computed from the bytes, never taken on the registry's word.
  const expected = ref.digest ?? top.digest;
  if (expected) {
    verifyDigest(top.bytes, expected, `${where}: manifest`);
  }
  const topDigest = expected ? digestLike(top.bytes, expected, where) : sha256Digest(top.bytes);
  const parsed = parseManifest(top.bytes, where, top.mediaType);
  if (parsed.kind === 'manifest') {
    return { topDigest, digest: topDigest, manifest: parsed.manifest };
  }
  const entry = selectPlatform(parsed.manifests, platform, where);
  const inner = await client.getManifest(repo, entry.digest);
  verifyDigest(inner.bytes, entry.digest, `${ref.registry}/${repo}@${entry.digest}`);
  const image = parseManifest(
    inner.bytes,
    `${ref.registry}/${repo}@${entry.digest}`,
    inner.mediaType,
  );
  if (image.kind === 'index') {
    throw new ImageReadError(
      'image.manifest_invalid',
      `${where}: the index points at another index for its platform, which is not supported`,
    );
  }
  return { topDigest, digest: entry.digest, manifest: image.manifest };
}

/**
 * Tags pointing at the image: the one given (unless it is `latest`, which names nothing
 * lasting), plus others from the tag list whose manifest digest is the image's or its index's.
 * The registry may refuse to list tags; the image is still readable then.
 */
async function findTags(
  client: RegistryClient,
  repo: string,
  given: string | undefined,
  digests: Set<string>,
): Promise<string[]> {
  const found = new Set<string>();
  if (given !== undefined) {
    found.add(given);
  }
  const listed = await client.listTags(repo, MAX_TAGS_LISTED).catch((): string[] => []);
  const probes = listed.filter((t) => t !== given).slice(0, MAX_TAG_PROBES);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < probes.length) {
      const tag = probes[next++] ?? '';
      const d = await client.headManifest(repo, tag).catch(() => undefined);
      if (d !== undefined && digests.has(d)) {
        found.add(tag);
      }
    }
  };
  await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, worker));
  // Keep the registry's order, the given tag first.
  return [...found].sort((a, b) =>
    a === given ? -1 : b === given ? 1 : listed.indexOf(a) - listed.indexOf(b),
  );
}
