/**
 * What buildah's storage says about a built image: the base the last stage stands on with the
 * digest its tag had when pulled, and the image's size, measured compressed when the stored
 * (uncompressed) size is over the limit. One `buildah inspect` and one `buildah images` (run side
 * by side) answer both: each buildah run costs its start and a load of the storage.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { internal, tooLarge } from '../../platform/errors.js';
import type { BuildResult } from './contracts.js';
import type { ToolResult } from './run-tool.js';

/** Runs buildah on the build's storage; `capture` returns stdout instead of logging it. */
export type Buildah = (args: string[], capture?: boolean) => Promise<ToolResult>;

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** What the build's storage says of the built image and of the images it pulled. */
export interface BuiltImage {
  /** The built image's annotations (the base's name and digest among them). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Sizes of the built image's layers as stored (uncompressed). */
  readonly layerSizes: readonly number[];
  /** The images in the storage: names and the digest each was pulled with. */
  readonly images: ReadonlyArray<{ names: string[]; digest: string | undefined }>;
}

/** Inspects the built image and lists the storage's images, side by side. */
export async function inspectBuilt(buildah: Buildah, image: string): Promise<BuiltImage> {
  const [inspected, listed] = await Promise.all([
    buildah(['inspect', '--type', 'image', image], true),
    buildah(['images', '--json'], true),
  ]);
  const parsed = inspected.exitCode === 0 ? parseJson(inspected.stdout) : undefined;
  const annotations = isRecord(parsed) ? parsed.ImageAnnotations : undefined;
  const manifest =
    isRecord(parsed) && typeof parsed.Manifest === 'string'
      ? parseJson(parsed.Manifest)
      : undefined;
  return {
    annotations: isRecord(annotations)
      ? Object.fromEntries(
          Object.entries(annotations).filter(
            (e): e is [string, string] => typeof e[1] === 'string',
          ),
        )
      : {},
    layerSizes: manifestLayerSizes(manifest),
    images: listed.exitCode === 0 ? parseImages(listed.stdout) : [],
  };
}

/**
 * The base the last stage stands on, as buildah resolved its name, and the digest its tag had
 * when the build pulled it — the digest a registry answers for the tag (a multi-platform index
 * when it is one), so a later poll of the tag compares like with like.
 */
export function resolveBase(built: BuiltImage, parsed: string): BuildResult['base'] {
  if (parsed.toLowerCase() === 'scratch') {
    return { reference: 'scratch', digest: null };
  }
  const reference = nonEmpty(built.annotations[BASE_NAME]) ?? parsed;
  const pinned = /@(sha256:[0-9a-f]{64})$/.exec(reference)?.[1];
  if (pinned !== undefined) {
    return { reference, digest: pinned };
  }
  const found = built.images.find((i) => i.names.includes(reference))?.digest;
  const digest = found ?? nonEmpty(built.annotations[BASE_DIGEST]);
  return { reference, digest: digest !== undefined && DIGEST.test(digest) ? digest : null };
}

/** Refuses an image larger than the limit before anything is pushed. */
export async function checkSize(
  buildah: Buildah,
  image: string,
  built: BuiltImage,
  limit: number,
  workDir: string,
  authFile: string,
): Promise<void> {
  // The layers as stored are uncompressed; compressed they can only be smaller, so most images
  // pass here. Above the limit, the layers are compressed into an OCI layout to measure them.
  if (sum(built.layerSizes) <= limit) {
    return;
  }
  const layout = join(workDir, 'measure');
  const measured = await buildah(['push', '--authfile', authFile, image, `oci:${layout}:image`]);
  if (measured.exitCode !== 0) {
    throw internal(
      'build.image_measure',
      `The image could not be measured: ${measured.tail.at(-1) ?? 'no output'}`,
    );
  }
  const compressed = sum(await layoutLayerSizes(layout));
  if (compressed > limit) {
    throw tooLarge(
      'build.image_too_large',
      `The image is ${compressed} bytes compressed, more than the limit of ${limit} bytes; it was not pushed.`,
      { bytes: compressed, limit: limit },
    );
  }
}

async function layoutLayerSizes(layout: string): Promise<number[]> {
  const index = parseJson(await readFile(join(layout, 'index.json'), 'utf8'));
  const entry =
    isRecord(index) && Array.isArray(index.manifests) ? (index.manifests[0] as unknown) : undefined;
  const digest = isRecord(entry) && typeof entry.digest === 'string' ? entry.digest : '';
  const manifest = parseJson(await readFile(join(layout, 'blobs', ...digest.split(':')), 'utf8'));
  return manifestLayerSizes(manifest);
}

function manifestLayerSizes(manifest: unknown): number[] {
  const layers =
    isRecord(manifest) && Array.isArray(manifest.layers) ? (manifest.layers as unknown[]) : [];
  return layers.map((l) => (isRecord(l) && typeof l.size === 'number' ? l.size : 0));
}

function parseImages(text: string): Array<{ names: string[]; digest: string | undefined }> {
  const parsed = parseJson(text);
  if (!Array.isArray(parsed)) {
    return [];
  }
  return parsed.filter(isRecord).map((i) => ({
    names: Array.isArray(i.names) ? i.names.filter((n): n is string => typeof n === 'string') : [],
    digest: typeof i.digest === 'string' ? i.digest : undefined,
  }));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
