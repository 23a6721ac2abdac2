/** The JSON documents inside a docker-archive: `manifest.json`, and an OCI `index.json` if any. */
import { ImageReadError } from '../../platform/errors.js';
import { verifyDigest } from './digest.js';
import { parseManifest } from './manifest.js';
import type { ParsedManifest } from './manifest.js';
import type { ImageManifest } from './types.js';

/** One image of `manifest.json`. */
export interface ArchiveImage {
  Config: string;
  RepoTags?: string[];
  Layers: string[];
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

/** Reads and checks `manifest.json`. @throws ImageReadError image.archive_invalid */
export async function readArchiveManifest(
  read: (name: string) => Promise<Buffer>,
  file: string,
): Promise<ArchiveImage[]> {
  let json: unknown;
  try {
    json = JSON.parse((await read('manifest.json')).toString('utf8'));
  } catch (err) {
    if (err instanceof ImageReadError) {
      throw err;
    }
    throw new ImageReadError('image.archive_invalid', `${file}: manifest.json is not valid JSON`, {
      cause: err,
    });
  }
  if (!Array.isArray(json) || json.length === 0) {
    throw new ImageReadError('image.archive_invalid', `${file}: manifest.json lists no images`);
  }
  return json.map((m: unknown, i): ArchiveImage => {
    const r = typeof m === 'object' && m !== null ? (m as Record<string, unknown>) : {};
    const layers = strings(r.Layers);
    if (typeof r.Config !== 'string' || !layers) {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file}: manifest.json entry ${i} needs "Config" (a string) and "Layers" (a list of strings)`,
      );
    }
    return { Config: r.Config, RepoTags: strings(r.RepoTags) ?? [], Layers: layers };
  });
}

/**
 * The OCI manifest for `configDigest` when the archive also carries an OCI layout (Docker 25+
 * `docker save`): its digest is the image's real manifest digest. Undefined when none matches.
 */
export async function realManifest(
  read: (name: string) => Promise<Buffer>,
  configDigest: string,
  file: string,
): Promise<{ digest: string; manifest: ImageManifest } | undefined> {
  const top = parseManifest(
    await read('index.json'),
    `${file}: index.json`,
    'application/vnd.oci.image.index.v1+json',
  );
  const queue = top.kind === 'index' ? [...top.manifests] : [];
  // One level of nesting (an index per image, as containerd exports) is enough.
  for (let seen = 0; seen < 64 && queue.length > 0; seen++) {
    const d = queue.shift();
    if (!d) {
      break;
    }
    // Attestations and other artifacts sit beside images in such indexes: skip what is no image.
    const parsed = await readBlob(read, d.digest, d.mediaType, file).catch(() => undefined);
    if (parsed?.kind === 'index') {
      queue.push(...parsed.manifests);
    } else if (parsed?.manifest.config.digest === configDigest) {
      return { digest: d.digest, manifest: parsed.manifest };
    }
  }
  return undefined;
}

async function readBlob(
  read: (name: string) => Promise<Buffer>,
  digest: string,
  mediaType: string,
  file: string,
): Promise<ParsedManifest | undefined> {
  const bytes = await read(`blobs/${digest.replace(':', '/')}`).catch(() => undefined);
  if (!bytes) {
    return undefined;
  }
  verifyDigest(bytes, digest, `${file}: blob ${digest}`);
  return parseManifest(bytes, `${file}: manifest ${digest}`, mediaType);
}
