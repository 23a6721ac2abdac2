/** The `docker://` transport: an image in a registry. */
import { ImageReadError } from '../../platform/errors.js';
import {
  parseConfig,
  parseManifest,
  selectPlatform,
  sha256Digest,
  verifyDigest,
} from './manifest.js';
import type { Platform } from './manifest.js';
import { RegistryClient } from './registry-client.js';
import type { ResolvedImage } from './types.js';

/** How many other tags are checked for the same digest when looking for a good tag. */
const MAX_TAG_PROBES = 100;

/** Opens an image from a registry. @throws ImageReadError */
export async function resolveRegistryImage(
  reference: string,
  ref: { registry: string; repository: string; tag?: string; digest?: string },
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
    const wanted = ref.digest ?? ref.tag ?? 'latest';
    const top = await client.getManifest(repo, wanted);
    if (ref.digest) {
      verifyDigest(top.bytes, ref.digest, `${ref.registry}/${repo}@${ref.digest}`);
    }
    const topDigest = ref.digest ?? top.digest ?? sha256Digest(top.bytes);
    let parsed = parseManifest(top.bytes, `${ref.registry}/${repo}:${wanted}`, top.mediaType);
    let digest = topDigest;
    if (parsed.kind === 'index') {
      const entry = selectPlatform(
        parsed.manifests,
        opts.platform,
        `${ref.registry}/${repo}:${wanted}`,
      );
      const inner = await client.getManifest(repo, entry.digest);
      verifyDigest(inner.bytes, entry.digest, `${ref.registry}/${repo}@${entry.digest}`);
      parsed = parseManifest(
        inner.bytes,
        `${ref.registry}/${repo}@${entry.digest}`,
        inner.mediaType,
      );
      digest = entry.digest;
      if (parsed.kind === 'index') {
        throw new ImageReadError(
          'image.manifest_invalid',
          `${ref.registry}/${repo}: index points at another index`,
        );
      }
    }
    const manifest = parsed.manifest;
    const configBytes = await client.getBlob(repo, manifest.config.digest);
    verifyDigest(configBytes, manifest.config.digest, `config ${manifest.config.digest}`);
    const tags = await findTags(client, repo, ref.tag, new Set([topDigest, digest]));
    return {
      reference,
      transport: 'docker',
      digest,
      manifest,
      config: parseConfig(configBytes, `config ${manifest.config.digest}`),
      tags,
      openLayer: async (i) => {
        const layer = manifest.layers[i];
        if (!layer) {
          throw new ImageReadError('image.layer_unknown', `layer ${i} does not exist`);
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

/** Tags pointing at the image: the given one, plus others whose manifest has the same digest. */
async function findTags(
  client: RegistryClient,
  repo: string,
  given: string | undefined,
  digests: Set<string>,
): Promise<string[]> {
  const tags = given ? [given] : [];
  if (given && given.toLowerCase() !== 'latest') {
    return tags;
  }
  const all = await client.listTags(repo).catch(() => []);
  for (const tag of all.filter((t) => t !== given).slice(0, MAX_TAG_PROBES)) {
    const d = await client.headManifest(repo, tag).catch(() => undefined);
    if (d && digests.has(d)) {
      tags.push(tag);
    }
  }
  return tags;
}
