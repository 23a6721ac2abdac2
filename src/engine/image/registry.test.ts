import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout, sha256 } from '../../../test/support/image-builder.js';
import { startTestRegistry } from '../../../test/support/test-registry.js';
import type { TestRegistryOptions } from '../../../test/support/test-registry.js';
import { readLayers } from './read-layers.js';
import { parseChallenge } from './registry-auth.js';
import { resolveImage } from './resolve.js';
import type { ResolveOptions } from './resolve.js';

let dir: string;
let layout: string;
let built: Awaited<ReturnType<typeof buildOciLayout>>;
let multi: Awaited<ReturnType<typeof buildOciLayout>>;
const creds = { username: 'partner', password: 's3cret' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-registry-test-'));
  layout = join(dir, 'layout');
  built = await buildOciLayout(layout, {
    layers: [{ entries: [{ path: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' }] }],
    tags: ['latest', '3.1', '3'],
  });
  // Other tags, pointing elsewhere, so discovery must compare digests.
  for (const t of ['0.9', '1.0', '2.0', 'dev']) {
    await buildOciLayout(layout, { layers: [{ entries: [{ path: 'v', content: t }] }], tags: [t] });
  }
  multi = await buildOciLayout(layout, {
    layers: [],
    tags: ['multi'],
    platforms: [
      {
        os: 'linux',
        architecture: 'amd64',
        layers: [{ entries: [{ path: 'arch', content: 'amd64' }] }],
      },
      {
        os: 'linux',
        architecture: 'arm64',
        layers: [{ entries: [{ path: 'arch', content: 'arm64' }] }],
      },
    ],
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withRegistry<T>(
  opts: Omit<TestRegistryOptions, 'layoutDir'>,
  fn: (reg: Awaited<ReturnType<typeof startTestRegistry>>) => Promise<T>,
): Promise<T> {
  const reg = await startTestRegistry({ layoutDir: layout, ...opts });
  try {
    return await fn(reg);
  } finally {
    await reg.close();
  }
}

async function read(ref: string, opts: Partial<ResolveOptions> = {}) {
  const image = await resolveImage(ref, { tempDir: dir, ...opts });
  try {
    const layers = await readLayers(image, {
      workDir: join(dir, 'work'),
      digestAlgorithms: ['sha256'],
      capture: () => true,
      extract: () => false,
    });
    return { image, ...layers };
  } finally {
    await image.close();
  }
}

describe('docker:// transport', () => {
  it.each([
    ['none', {}],
    ['basic', { creds }],
    ['bearer', { creds }],
    ['bearer', {}],
  ] as const)(
    'should read an image with %s auth %o and find its other tags',
    async (auth, given) => {
      const anonymousBearer = auth === 'bearer' && !('creds' in given);
      await withRegistry(
        { auth, ...(anonymousBearer || auth === 'none' ? {} : creds), maxPageSize: 2 },
        async (reg) => {
          const { image, fs } = await read(`docker://${reg.host}/acme/plugin:latest`, given);
          expect(image.digest).toBe(built.manifestDigest);
          expect(image.tags).toEqual(['latest', '3', '3.1']);
          expect(fs.lstat('/etc/passwd')?.content?.toString()).toContain('root');
          // Pagination was followed: several pages of at most two tags.
          expect(reg.log.filter((l) => l.includes('/tags/list')).length).toBeGreaterThan(2);
          if (auth === 'bearer') {
            // One token for the repository scope, reused for every later request.
            expect(reg.log.filter((l) => l.startsWith('GET /token')).length).toBe(1);
          }
        },
      );
    },
  );

  it('should include a non-latest tag given in the reference', async () => {
    await withRegistry({ auth: 'none' }, async (reg) => {
      const image = await resolveImage(`docker://${reg.host}/acme/plugin:3.1`, { tempDir: dir });
      await image.close();
      expect(image.tags).toEqual(['3.1', '3', 'latest']);
    });
  });

  it('should read by digest, verify the manifest bytes, and pick a platform from an index', async () => {
    await withRegistry({ auth: 'none' }, async (reg) => {
      const byDigest = await read(`docker://${reg.host}/acme/plugin@${built.manifestDigest}`);
      expect(byDigest.image.digest).toBe(built.manifestDigest);
      expect(byDigest.image.tags.sort()).toEqual(['3', '3.1', 'latest']);
      const arm = await read(`docker://${reg.host}/acme/plugin@${multi.manifestDigest}`, {
        platform: { os: 'linux', architecture: 'arm64' },
      });
      expect(arm.image.digest).toBe(multi.platformDigests['linux/arm64']);
      expect(arm.image.tags).toEqual(['multi']);
      expect(arm.fs.lstat('/arch')?.content?.toString()).toBe('arm64');
      // Bytes stored under a digest they do not have.
      const liar = 'sha256:' + 'e'.repeat(64);
      await writeFile(join(layout, 'blobs/sha256', 'e'.repeat(64)), '{"schemaVersion":2}');
      await expect(
        resolveImage(`docker://${reg.host}/acme/plugin@${liar}`, { tempDir: dir }),
      ).rejects.toMatchObject({
        code: 'image.digest_mismatch',
      });
    });
  });

  it('should refuse wrong or missing credentials and unknown tags with errors naming host, repository and status', async () => {
    for (const auth of ['basic', 'bearer'] as const) {
      await withRegistry({ auth, ...creds }, async (reg) => {
        await expect(
          resolveImage(`docker://${reg.host}/acme/p:3.1`, {
            tempDir: dir,
            creds: { ...creds, password: 'wrong' },
          }),
        ).rejects.toMatchObject({
          code: 'image.registry_unauthorized',
          message: expect.stringMatching(new RegExp(`${reg.host}.*(acme/p|token).*401`)),
        });
        await expect(
          resolveImage(`docker://${reg.host}/acme/p:3.1`, { tempDir: dir }),
        ).rejects.toMatchObject({
          code: 'image.registry_unauthorized',
          message: expect.stringContaining('--creds'),
        });
        await expect(
          resolveImage(`docker://${reg.host}/acme/p:9.9`, { tempDir: dir, creds }),
        ).rejects.toMatchObject({
          code: 'image.manifest_unknown',
          message: expect.stringMatching(
            new RegExp(
              `${reg.host}: manifest acme/p:9.9 does not exist \\(HTTP 404 MANIFEST_UNKNOWN`,
            ),
          ),
        });
      });
    }
  });

  it('should follow blob redirects without sending credentials to the other host', async () => {
    await withRegistry({ auth: 'basic', ...creds, redirectBlobs: true }, async (reg) => {
      const { fs } = await read(`docker://${reg.host}/acme/plugin:3`, { creds });
      expect(fs.lstat('/etc/passwd')).toBeDefined();
      expect(reg.log.some((l) => l.startsWith('GET /_blob/'))).toBe(true);
    });
  });

  it('should say a registry is unreachable, with its host', async () => {
    const reg = await startTestRegistry({ layoutDir: layout, auth: 'none' });
    const host = reg.host;
    await reg.close();
    await expect(resolveImage(`docker://${host}/acme/p:1`, { tempDir: dir })).rejects.toMatchObject(
      {
        code: 'image.registry_unreachable',
        message: expect.stringContaining(host),
      },
    );
  });

  it('should refuse a schema 1 manifest clearly', async () => {
    const s1 = Buffer.from(
      JSON.stringify({ schemaVersion: 1, name: 'acme/p', tag: 'old', fsLayers: [] }),
    );
    const d = sha256(s1);
    await writeFile(join(layout, 'blobs/sha256', d.slice(7)), s1);
    await withRegistry({ auth: 'none' }, async (reg) => {
      await expect(
        resolveImage(`docker://${reg.host}/acme/p@${d}`, { tempDir: dir }),
      ).rejects.toMatchObject({
        code: 'image.manifest_unsupported',
      });
    });
  });
});

describe('parseChallenge', () => {
  it('should parse bearer parameters, quoted or not, with commas inside quotes', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service=registry.example,scope="repository:a/b:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.example/token',
      service: 'registry.example',
      scope: 'repository:a/b:pull,push',
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic' });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge('Bearer service="x"')).toBeUndefined();
  });
});
