import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDockerArchive } from '../../../test/support/image-builder.js';
import type { DockerArchiveSpec } from '../../../test/support/image-builder.js';
import type { JsonReport } from '../../engine/report.js';
import { ExitError } from '../exit.js';
import { check, parseBoolean, parseCreds, parsePlatform, splitList } from './check.js';

describe('check argument parsing', () => {
  it('should parse credentials whose password contains colons', () => {
    expect(parseCreds('unused:a:b')).toEqual({ username: 'unused', password: 'a:b' });
  });

  it.each(['nocolon', ':pass'])('should refuse credentials %j', (value) => {
    expect(() => parseCreds(value)).toThrow(ExitError);
  });

  it('should parse platforms with and without variant', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/arm/'])(
    'should refuse platform %j',
    (value) => {
      expect(() => parsePlatform(value)).toThrow(/--platform takes OS\/ARCH/);
    },
  );

  it('should parse booleans like skopeo and refuse anything else', () => {
    expect(parseBoolean('false', '--tls-verify')).toBe(false);
    expect(parseBoolean('TRUE', '--tls-verify')).toBe(true);
    expect(parseBoolean(true, '--tls-verify')).toBe(true);
    expect(() => parseBoolean('maybe', '--tls-verify')).toThrow(/--tls-verify takes true or false/);
  });

  it('should split list flags on commas and drop blanks', () => {
    expect(splitList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
  });
});

describe('check on a docker-archive: which digest is which', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-check-digest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (layout: 'legacy' | 'oci'): DockerArchiveSpec => ({
    layers: [{ entries: [{ path: 'etc/os-release', content: 'ID="rhel"\n' }] }],
    config: { User: '1001' },
    compression: layout === 'oci' ? 'gzip' : 'none',
    layout,
  });

  const json = async (ref: string): Promise<JsonReport['image']> =>
    (JSON.parse((await check(ref, { output: 'json' })).output) as JsonReport).image;

  it('should report no manifest digest for an archive without one, and label the config digest', async () => {
    const file = join(dir, 'legacy.tar');
    // The builder's digest for a legacy archive is the config digest (the image ID).
    const { manifestDigest: configDigest } = await buildDockerArchive(file, spec('legacy'));
    const image = await json(`docker-archive:${file}`);
    expect(image).toMatchObject({ digest: configDigest, manifestDigest: null, configDigest });
    const text = (await check(`docker-archive:${file}`, { output: 'text' })).output;
    expect(text).toContain(
      'Manifest digest  none in the archive (a registry computes it on push, once the layers are compressed)\n',
    );
    expect(text).toContain(`Config digest    ${configDigest}\n`);
    expect(text).not.toMatch(/^Digest /m);
    const junit = (await check(`docker-archive:${file}`, { output: 'junit' })).output;
    expect(junit).toContain(`<property name="configDigest" value="${configDigest}"/>`);
    expect(junit).not.toContain('manifestDigest');
  });

  it('should link each result to the policy text installed with it, at its heading', async () => {
    const file = join(dir, 'links.tar');
    await buildDockerArchive(file, spec('oci'));
    const { results } = (await check(`docker-archive:${file}`, { output: 'json' })).result;
    expect(results.length).toBeGreaterThan(10);
    for (const { url } of results) {
      const link = new URL(url);
      expect(link.protocol).toBe('file:');
      const text = await readFile(fileURLToPath(link), 'utf8');
      expect(text).toContain(`\n## ${decodeURIComponent(link.hash.slice(1))}\n`);
    }
  });

  it('should report the manifest digest as oci: does when the archive carries an OCI index', async () => {
    const legacy = await buildDockerArchive(join(dir, 'same.tar'), spec('legacy'));
    const file = join(dir, 'oci.tar');
    const built = await buildDockerArchive(file, spec('oci'));
    const image = await json(`docker-archive:${file}`);
    // Same layers and config as the legacy archive: only the manifest is new.
    expect(image).toMatchObject({
      digest: built.manifestDigest,
      manifestDigest: built.manifestDigest,
      configDigest: legacy.manifestDigest,
    });
    const text = (await check(`docker-archive:${file}`, { output: 'text' })).output;
    expect(text).toContain(`Manifest digest  ${built.manifestDigest}\n`);
    expect(text).toContain(`Config digest    ${legacy.manifestDigest}\n`);
  });
});
