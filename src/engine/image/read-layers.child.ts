/**
 * Test helper run as a child process (`node --import tsx read-layers.child.ts <oci-layout>`):
 * reads the image's layers and prints, as JSON, the outcome and the process's peak memory before
 * and after, so a test can bound what one layer costs without its own heap in the way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLayers } from './read-layers.js';
import { resolveImage } from './resolve.js';

const layout = process.argv[2] ?? '';
const temp = await mkdtemp(join(tmpdir(), 'hallmark-child-'));
const image = await resolveImage(`oci:${layout}:1.0`, { tempDir: temp });
const idleKiB = process.resourceUsage().maxRSS;
let outcome: { code: string; message: string } | { entries: number };
try {
  const read = await readLayers(image, {
    workDir: join(temp, 'w'),
    digestAlgorithms: ['sha256'],
    capture: () => false,
    extract: () => false,
  });
  outcome = { entries: read.stats.entries };
} catch (err) {
  const e = err as { code?: string; message?: string };
  outcome = { code: e.code ?? 'none', message: e.message ?? String(err) };
} finally {
  await image.close();
  await rm(temp, { recursive: true, force: true });
}
process.stdout.write(
  JSON.stringify({ ...outcome, idleKiB, peakKiB: process.resourceUsage().maxRSS }) + '\n',
);
