/**
 * The `docker-archive:FILE[:REF]` transport: tarballs written by `docker save`,
 * `buildah push docker-archive:` and `skopeo copy docker-archive:`. The outer tar is indexed
 * once and its members are then read as byte ranges of the file.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ImageReadError } from '../../platform/errors.js';
import { LAYER_CHUNK } from './decompress.js';
import { sha256Digest } from './digest.js';
import { readArchiveManifest, realManifest } from './docker-archive-manifest.js';
import type { ArchiveImage } from './docker-archive-manifest.js';
import { MAX_MANIFEST_BYTES, MEDIA } from './manifest.js';
import { parseConfig } from './manifest.js';
import { indexTar } from './tar-index.js';
import type { TarMember } from './tar-index.js';
import type { Descriptor, ImageManifest, ResolvedImage } from './types.js';

/** Reads a small member (manifest.json, a config) whole. */
export type MemberReader = (name: string) => Promise<Buffer>;

/** Opens an image from a docker-archive tarball. @throws ImageReadError */
export async function resolveDockerArchive(
  reference: string,
  file: string,
  ref: string | undefined,
): Promise<ResolvedImage> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ImageReadError(
      'image.archive_unreadable',
      `${file} cannot be opened (${err.code ?? err.message})`,
    );
  });
  try {
    const members = await indexTar(fh, file);
    const read = memberReader(fh, members, file);
    const image = pickImage(file, await readArchiveManifest(read, file), ref);
    const configBytes = await read(image.Config);
    const configDigest = sha256Digest(configBytes);
    const config = parseConfig(configBytes, `${file}: ${image.Config}`);
    const real = members.has('index.json')
      ? await realManifest(read, configDigest, file)
      : undefined;
    const layers = real
      ? realLayers(real.manifest, members, file)
      : legacyLayers(image, config.rootfs?.diff_ids ?? [], members, file);
    const manifest: ImageManifest = real?.manifest ?? {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => l.descriptor),
    };
    return {
      reference,
      transport: 'docker-archive',
      // Without a real manifest, the image ID (the config digest) is what Docker shows.
      digest: real?.digest ?? configDigest,
      ...(real ? {} : { noManifest: true }),
      manifest,
      config,
      tags: [...new Set((image.RepoTags ?? []).map(tagOf))],
      uncompressedDigests: layers.map((l) => l.uncompressed),
      openLayer: (i) => openMember(file, layers[i]?.member, i),
      close: () => Promise.resolve(),
    };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function memberReader(fh: FileHandle, members: Map<string, TarMember>, file: string): MemberReader {
  return async (name) => {
    const m = members.get(name.replace(/^\.\//, ''));
    if (!m) {
      throw new ImageReadError('image.archive_invalid', `${file} has no member "${name}"`);
    }
    if (m.size > MAX_MANIFEST_BYTES) {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file}: "${name}" is ${m.size} bytes, over the 4 MiB limit for manifests and configs`,
      );
    }
    const buf = Buffer.alloc(m.size);
    await fh.read(buf, 0, m.size, m.offset);
    return buf;
  };
}

/** The image `ref` names: a RepoTag (`name:tag`, `name` meaning `name:latest`) or `@N`. */
function pickImage(file: string, images: ArchiveImage[], ref: string | undefined): ArchiveImage {
  const names = images.flatMap((m) => m.RepoTags ?? []);
  const list = names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'no names';
  if (ref === undefined) {
    const [only] = images;
    if (only && images.length === 1) {
      return only;
    }
    throw new ImageReadError(
      'image.tag_required',
      `${file} holds ${images.length} images; name one with docker-archive:${file}:NAME or :@INDEX (${list})`,
    );
  }
  const index = /^@(\d+)$/.exec(ref);
  const wanted = /:[^/]+$/.test(ref) ? ref : `${ref}:latest`;
  const found = index
    ? images[Number(index[1])]
    : images.find((m) => (m.RepoTags ?? []).some((t) => t === wanted || t.endsWith('/' + wanted)));
  if (!found) {
    throw new ImageReadError('image.tag_unknown', `${file} has no image "${ref}" (${list})`);
  }
  return found;
}

interface ArchiveLayer {
  descriptor: Descriptor;
  member: TarMember;
  uncompressed: boolean;
}

function member(members: Map<string, TarMember>, name: string, file: string): TarMember {
  const m = members.get(name.replace(/^\.\//, ''));
  if (!m) {
    throw new ImageReadError(
      'image.archive_invalid',
      `${file}: layer "${name}" is not in the archive`,
    );
  }
  return m;
}

function legacyLayers(
  image: ArchiveImage,
  diffIds: string[],
  members: Map<string, TarMember>,
  file: string,
): ArchiveLayer[] {
  return image.Layers.map((name, i) => {
    const m = member(members, name, file);
    const blob = /^(?:\.\/)?blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
    // Other names (`<id>/layer.tar`, `<hex>.tar`) say nothing certain about the stored bytes;
    // the config's diff ID is the digest of the uncompressed tar.
    const digest = blob ? `${blob[1]}:${blob[2]}` : diffIds[i];
    if (digest === undefined) {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file}: the config has no rootfs.diff_ids entry for layer ${i} (${name})`,
      );
    }
    return {
      descriptor: {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
        digest,
        size: m.size,
      },
      member: m,
      uncompressed: !blob,
    };
  });
}

function realLayers(
  manifest: ImageManifest,
  members: Map<string, TarMember>,
  file: string,
): ArchiveLayer[] {
  return manifest.layers.map((d) => ({
    descriptor: d,
    member: member(members, `blobs/${d.digest.replace(':', '/')}`, file),
    uncompressed: false,
  }));
}

function tagOf(repoTag: string): string {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  return colon > slash ? repoTag.slice(colon + 1) : 'latest';
}

function openMember(file: string, m: TarMember | undefined, i: number): Promise<Readable> {
  if (!m) {
    return Promise.reject(
      new ImageReadError('image.layer_unknown', `${file}: the image has no layer ${i}`),
    );
  }
  // createReadStream's `end` is inclusive; an empty member needs no read at all.
  return Promise.resolve(
    m.size === 0
      ? Readable.from([])
      : createReadStream(file, {
          start: m.offset,
          end: m.offset + m.size - 1,
          highWaterMark: LAYER_CHUNK,
        }),
  );
}
