// The images bench:registry pushes: OCI image layouts of gzip layers of mostly random bytes (so
// no two images share a layer), built once and cached under $TMPDIR, and the check of a pull.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tarHeader, writeLayer } from './oci-layer.mjs';

const FILE_BYTES = 4 << 20;
const BLOCK = 64 << 10;
const RANDOM_PER_BLOCK = 56 << 10; // 7/8 random, 1/8 text: gzip keeps ~88 % of the bytes

export function sha256(buf) {
  return 'sha256:' + createHash('sha256').update(buf).digest('hex');
}

/** The tar stream of one layer: `bytes` of file content in files of FILE_BYTES under `dir`. */
async function* layerTar(index, bytes) {
  const dir = `opt/bench/layer${index}/`;
  yield tarHeader('opt/', 0, '5');
  yield tarHeader('opt/bench/', 0, '5');
  yield tarHeader(dir, 0, '5');
  for (let f = 0, left = bytes; left > 0; f++) {
    const size = Math.min(FILE_BYTES, left);
    left -= size;
    yield tarHeader(`${dir}f${String(f).padStart(4, '0')}.bin`, size, '0');
    const text = Buffer.from(
      `layer ${index} file ${f}: some configuration or code text\n`.repeat(BLOCK / 32),
    );
    for (let off = 0; off < size; off += BLOCK) {
      const n = Math.min(BLOCK, size - off);
      const chunk = Buffer.concat([randomBytes(RANDOM_PER_BLOCK), text], BLOCK);
      yield n === BLOCK ? chunk : chunk.subarray(0, n);
    }
    if (size % 512 !== 0) {
      yield Buffer.alloc(512 - (size % 512));
    }
  }
  yield Buffer.alloc(1024);
}

async function buildImage(cache, imageMb, shares) {
  const total = imageMb * 1_000_000;
  console.error(`building a ${imageMb} MB OCI image in ${cache}…`);
  const work = `${cache}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const blobs = join(work, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  for (let i = 0; i < shares.length; i++) {
    layers.push(await writeLayer(blobs, layerTar(i, Math.round(total * shares[i]))));
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: { name: 'bench', vendor: 'Bench', version: '1' } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  writeFileSync(join(blobs, sha256(config).slice(7)), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => l.descriptor),
    }),
  );
  writeFileSync(join(blobs, sha256(manifest).slice(7)), manifest);
  writeFileSync(
    join(work, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256(manifest),
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  writeFileSync(join(work, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const meta = {
    imageMb,
    manifestDigest: sha256(manifest),
    layers: layers.map((l) => ({ ...l.descriptor, uncompressed: l.uncompressed })),
  };
  writeFileSync(join(work, 'bench-meta.json'), JSON.stringify(meta));
  rmSync(cache, { recursive: true, force: true });
  renameSync(work, cache);
  return meta;
}

/**
 * The image cached in the layout `cache` (`imageMb` MB uncompressed, in layers of the given
 * shares), built when missing or broken; returns its metadata: `{ imageMb, manifestDigest,
 * layers: [{ digest, size, uncompressed, … }] }`.
 */
export async function cachedImage(cache, imageMb, shares) {
  try {
    const meta = JSON.parse(readFileSync(join(cache, 'bench-meta.json'), 'utf8'));
    const complete = meta.layers.every(
      (l) => statSync(join(cache, 'blobs', 'sha256', l.digest.slice(7))).size === l.size,
    );
    if (meta.imageMb === imageMb && meta.layers.length === shares.length && complete) {
      return meta;
    }
  } catch {
    // no cached image, or a broken one: build it
  }
  return buildImage(cache, imageMb, shares);
}

/** Compressed (as pushed) and uncompressed bytes of an image's layers, in MB. */
export function imageMegabytes(meta) {
  return {
    compressed: meta.layers.reduce((n, l) => n + l.size, 0) / 1e6,
    uncompressed: meta.layers.reduce((n, l) => n + l.uncompressed, 0) / 1e6,
  };
}

/** Checks a pulled layout against the pushed image; returns the problems found. */
export function verifyPull(layout, meta) {
  const problems = [];
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const entry =
    index.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'latest',
    ) ?? index.manifests[0];
  if (entry?.digest !== meta.manifestDigest) {
    problems.push(`pulled manifest ${entry?.digest} is not the pushed ${meta.manifestDigest}`);
    return problems;
  }
  const manifest = readFileSync(join(layout, 'blobs', 'sha256', entry.digest.slice(7)));
  if (sha256(manifest) !== entry.digest) {
    problems.push(`pulled manifest blob does not hash to ${entry.digest}`);
  }
  for (const l of meta.layers) {
    const file = join(layout, 'blobs', 'sha256', l.digest.slice(7));
    if (!existsSync(file) || statSync(file).size !== l.size) {
      problems.push(`pulled layer ${l.digest} is missing or not ${l.size} bytes`);
    }
  }
  return problems;
}
