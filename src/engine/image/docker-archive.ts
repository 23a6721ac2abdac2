/**
 * The `docker-archive:FILE[:REF]` transport: `docker save` / `buildah push docker-archive:`
 * tarballs. The outer tar is indexed once (header offsets only) and entries are then read as
 * byte ranges of the file.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ImageReadError } from '../../platform/errors.js';
import { parseConfig, sha256Digest, MEDIA, MAX_MANIFEST_BYTES } from './manifest.js';
import type { Descriptor, ResolvedImage } from './types.js';

interface TarIndexEntry {
  offset: number;
  size: number;
}

function octal(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  if ((field[0] ?? 0) & 0x80) {
    // GNU base-256 encoding for sizes over 8 GiB.
    let n = 0;
    for (let i = 1; i < field.length; i++) {
      n = n * 256 + (field[i] ?? 0);
    }
    return n;
  }
  const text = field.toString('ascii').replace(/\0.*$/, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cstr(buf: Buffer, start: number, len: number): string {
  const field = buf.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.toString('utf8', 0, nul < 0 ? len : nul);
}

/** Indexes the regular files of an uncompressed tar by name. */
async function indexTar(fh: FileHandle, file: string): Promise<Map<string, TarIndexEntry>> {
  const { size: total } = await fh.stat();
  const entries = new Map<string, TarIndexEntry>();
  const header = Buffer.alloc(512);
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + 512 <= total) {
    await fh.read(header, 0, 512, offset);
    if (header.every((b) => b === 0)) {
      break;
    }
    if (header.toString('ascii', 257, 262) !== 'ustar') {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file} is not a tar archive (bad header at offset ${offset})`,
      );
    }
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = offset + 512;
    if (dataStart + size > total) {
      throw new ImageReadError(
        'image.archive_truncated',
        `${file} is truncated: an entry at offset ${offset} needs ${size} bytes`,
      );
    }
    if (type === 'L' || type === 'x') {
      const data = Buffer.alloc(Math.min(size, 65536));
      await fh.read(data, 0, data.length, dataStart);
      if (type === 'L') {
        longName = data.toString('utf8').replace(/\0.*$/s, '');
      } else {
        paxPath = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      }
    } else {
      const prefix = cstr(header, 345, 155);
      const name =
        paxPath ??
        longName ??
        (prefix ? `${prefix}/${cstr(header, 0, 100)}` : cstr(header, 0, 100));
      longName = paxPath = undefined;
      if (type === '0' || type === '\0' || type === '7') {
        entries.set(name.replace(/^\.\//, ''), { offset: dataStart, size });
      }
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function readEntry(
  fh: FileHandle,
  entries: Map<string, TarIndexEntry>,
  name: string,
  file: string,
): Promise<Buffer> {
  const e = entries.get(name);
  if (!e) {
    throw new ImageReadError('image.archive_invalid', `${file} has no ${name}`);
  }
  if (e.size > MAX_MANIFEST_BYTES) {
    throw new ImageReadError(
      'image.archive_invalid',
      `${file}: ${name} is ${e.size} bytes, over the 4 MiB limit`,
    );
  }
  const buf = Buffer.alloc(e.size);
  await fh.read(buf, 0, e.size, e.offset);
  return buf;
}

interface ArchiveManifest {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function parseArchiveManifest(bytes: Buffer, file: string): ArchiveManifest[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ImageReadError('image.archive_invalid', `${file}: manifest.json is not valid JSON`, {
      cause: err,
    });
  }
  if (!Array.isArray(json) || json.length === 0) {
    throw new ImageReadError('image.archive_invalid', `${file}: manifest.json lists no images`);
  }
  return json.map((m: unknown, i) => {
    const r = typeof m === 'object' && m !== null ? (m as Record<string, unknown>) : {};
    if (
      typeof r.Config !== 'string' ||
      !Array.isArray(r.Layers) ||
      !r.Layers.every((l) => typeof l === 'string')
    ) {
      throw new ImageReadError(
        'image.archive_invalid',
        `${file}: manifest.json entry ${i} needs Config and Layers`,
      );
    }
    const tags = Array.isArray(r.RepoTags)
      ? r.RepoTags.filter((t): t is string => typeof t === 'string')
      : [];
    return {
      Config: r.Config,
      RepoTags: tags,
      Layers: r.Layers.filter((l): l is string => typeof l === 'string'),
    };
  });
}

function tagOf(repoTag: string): string {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  return colon > slash ? repoTag.slice(colon + 1) : 'latest';
}

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
    const entries = await indexTar(fh, file);
    const images = parseArchiveManifest(await readEntry(fh, entries, 'manifest.json', file), file);
    const image =
      ref === undefined
        ? images[0]
        : images.find((m) => (m.RepoTags ?? []).some((t) => t === ref || t.endsWith('/' + ref)));
    if (!image || (ref === undefined && images.length > 1)) {
      const all = images.flatMap((m) => m.RepoTags ?? []).join(', ');
      throw new ImageReadError(
        'image.tag_unknown',
        `${file}: ${ref === undefined ? `holds ${images.length} images, name one with :REF` : `no image named "${ref}"`} (${all || 'no names'})`,
      );
    }
    const configBytes = await readEntry(fh, entries, image.Config, file);
    const config = parseConfig(configBytes, `${file}: ${image.Config}`);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers: Descriptor[] = image.Layers.map((name, i) => {
      const e = entries.get(name);
      if (!e) {
        throw new ImageReadError(
          'image.archive_invalid',
          `${file}: layer ${name} is missing from the archive`,
        );
      }
      const blob = /^blobs\/(sha256)\/([a-f0-9]{64})$/.exec(name);
      // Legacy `<id>/layer.tar` entries are uncompressed: their digest is the diff ID.
      const digest = blob ? `${blob[1]}:${blob[2]}` : (diffIds[i] ?? '');
      return { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest, size: e.size };
    });
    const layerEntries = image.Layers.map((name) => entries.get(name));
    await fh.close();
    return {
      reference,
      transport: 'docker-archive',
      digest: sha256Digest(configBytes),
      manifest: {
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          digest: sha256Digest(configBytes),
          size: configBytes.length,
        },
        layers,
      },
      config,
      tags: [...new Set((image.RepoTags ?? []).map(tagOf))],
      openLayer: (i) => {
        const e = layerEntries[i];
        if (!e) {
          return Promise.reject(
            new ImageReadError('image.layer_unknown', `layer ${i} does not exist`),
          );
        }
        // An empty layer still needs a stream: read zero bytes rather than an inverted range.
        const range =
          e.size > 0
            ? { start: e.offset, end: e.offset + e.size - 1 }
            : { start: e.offset, end: e.offset };
        return Promise.resolve(
          e.size > 0
            ? createReadStream(file, { ...range, highWaterMark: 1 << 20 })
            : Readable.from([]),
        );
      },
      close: () => Promise.resolve(),
    };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}
