import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startDistribution } from '../../../test/support/distribution.js';
import type { Distribution } from '../../../test/support/distribution.js';
import { buildOciLayout } from '../../../test/support/image-builder.js';
import { shellRootfs } from '../../../test/support/shell-rootfs.js';
import { hasTool, itWithTools } from '../../../test/support/tools.js';
import { BuildahBuilder } from './buildah.js';
import type { BuildRequest } from './contracts.js';

const exec = promisify(execFile);
const TOOLS = ['buildah', 'docker-registry', 'skopeo'] as const;
const it = itWithTools(TOOLS);
const PASSWORD = 'push-key-5c1e0b7a';

let registry: Distribution;
let root: string;
let bases: { shell: string; tiny: string; multi: string };
let counter = 0;

/** A source directory with these files and a build request for it. */
async function project(
  files: Record<string, string | Buffer>,
  more: Partial<BuildRequest> = {},
): Promise<BuildRequest> {
  const dir = join(root, `build-${++counter}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'source', path)), { recursive: true });
    await writeFile(join(dir, 'source', path), content);
  }
  await mkdir(join(dir, 'source'), { recursive: true });
  return {
    sourceDir: join(dir, 'source'),
    contextDir: '.',
    dockerfile: 'Dockerfile',
    buildArgs: {},
    push: {
      reference: `${registry.host}/acme/app:${counter}`,
      username: 'build',
      password: PASSWORD,
      tlsVerify: false,
    },
    maxImageBytes: 100 * 1024 * 1024,
    workDir: join(dir, 'builder'),
    ...more,
  };
}

function step(lines: string[] = [], signal = new AbortController().signal) {
  return { log: (text: string) => lines.push(text), signal };
}

describe('BuildahBuilder', { tags: ['slow'] }, () => {
  const builder = new BuildahBuilder();

  beforeAll(async () => {
    if (!TOOLS.every((t) => hasTool(t))) {
      return;
    }
    root = await mkdtemp(join(tmpdir(), 'hallmark-buildah-'));
    registry = await startDistribution();
    const layout = join(root, 'layout');
    // One history entry per layer, as real images have (buildah counts them against the layers).
    const history = [{ created: '2026-11-28T00:00:00Z', created_by: 'test' }];
    await buildOciLayout(layout, {
      layers: [{ entries: await shellRootfs() }],
      config: { history },
      tags: ['shell'],
    });
    await buildOciLayout(layout, {
      layers: [{ entries: [{ path: 'etc/tiny', content: 'tiny\n' }] }],
      config: { history },
      tags: ['tiny'],
    });
    const multiLayout = join(root, 'multi');
    await buildOciLayout(multiLayout, {
      layers: [{ entries: [{ path: 'etc/multi', content: 'multi\n' }] }],
      config: { history },
      tags: ['1'],
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    bases = {
      shell: await registry.push(`oci:${layout}:shell`, 'base/shell:1'),
      tiny: await registry.push(`oci:${layout}:tiny`, 'base/tiny:1'),
      multi: await registry.push(`oci:${multiLayout}:1`, 'base/multi:1', { all: true }),
    };
  });

  afterAll(async () => {
    await registry?.stop();
    if (root !== undefined) {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('should say it is available, and why not when buildah is missing', async () => {
    expect(await builder.available()).toBeUndefined();
    expect(await new BuildahBuilder({ binary: 'hallmark-no-buildah' }).available()).toMatch(
      /not installed/,
    );
  });

  it('should build FROM a registry image, push, and report both digests', async () => {
    const lines: string[] = [];
    const request = await project({
      Dockerfile: `FROM ${registry.host}/base/shell:1\nRUN echo built > /built && cat /built\nCOPY hello /hello\nLABEL name=app\n`,
      hello: 'hello\n',
    });
    const result = await builder.build(request, step(lines));
    expect(result.digest).toBe(await registry.digestOf(`acme/app:${counter}`));
    expect(result.base).toEqual({
      reference: `${registry.host}/base/shell:1`,
      digest: bases.shell,
    });
    const log = lines.join('');
    expect(log).toContain('STEP 2/4: RUN echo built');
    expect(log).toMatch(/^built$/m);
    expect(log).toContain(`Pushing ${request.push.reference}\n`);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(Buffer.from(`build:${PASSWORD}`).toString('base64'));
    const manifest = (await registry.manifest(`acme/app@${result.digest}`)) as {
      layers: unknown[];
    };
    // The base's layer and one for the stage (buildah builds without --layers squash the steps).
    expect(manifest.layers).toHaveLength(2);
  });

  it('should resolve the LAST stage’s FROM of a multi-stage Dockerfile, through ARGs and aliases', async () => {
    const request = await project(
      {
        Dockerfile: [
          `ARG BASE=base/tiny`,
          `FROM ${registry.host}/base/tiny:1 AS tools`,
          `FROM ${registry.host}/\${BASE}:1 AS runtime`,
          `LABEL stage=runtime`,
          `FROM runtime`,
          `COPY --from=tools /etc/tiny /etc/from-tools`,
          '',
        ].join('\n'),
      },
      { buildArgs: { BASE: 'base/shell' } },
    );
    const result = await builder.build(request, step());
    // Not the digest of the intermediate `runtime` image buildah annotates: the base's own.
    expect(result.base).toEqual({
      reference: `${registry.host}/base/shell:1`,
      digest: bases.shell,
    });
  });

  it('should record the digest of a multi-platform base’s index, as its tag answers', async () => {
    const request = await project({
      Dockerfile: `FROM ${registry.host}/base/multi:1\nLABEL a=b\n`,
    });
    const result = await builder.build(request, step());
    expect(result.base).toEqual({
      reference: `${registry.host}/base/multi:1`,
      digest: bases.multi,
    });
  });

  it('should report scratch with no digest', async () => {
    const request = await project({ Dockerfile: 'FROM scratch\nCOPY hello /hello\n', hello: 'x' });
    const result = await builder.build(request, step());
    expect(result.base).toEqual({ reference: 'scratch', digest: null });
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('should build the guide’s Dockerfile-for-RHOSP13 and dockerfiles/app1/ forms', async () => {
    const named = await project(
      { 'Dockerfile-for-RHOSP13': `FROM ${registry.host}/base/tiny:1\nCOPY a /a\n`, a: 'a' },
      { dockerfile: 'Dockerfile-for-RHOSP13' },
    );
    await expect(builder.build(named, step())).resolves.toMatchObject({
      base: { digest: bases.tiny },
    });
    const inDir = await project(
      {
        'dockerfiles/app1/Dockerfile': `FROM ${registry.host}/base/tiny:1\nCOPY app1.txt /\n`,
        'dockerfiles/app1/app1.txt': 'app1',
      },
      { dockerfile: 'dockerfiles/app1/', contextDir: 'dockerfiles/app1' },
    );
    await expect(builder.build(inDir, step())).resolves.toMatchObject({
      base: { digest: bases.tiny },
    });
  });

  it('should fail a Dockerfile that fails, with the failing step and the log tail', async () => {
    const lines: string[] = [];
    const request = await project({
      Dockerfile: `FROM ${registry.host}/base/shell:1\nRUN echo about to fail && false\n`,
    });
    const err = await builder.build(request, step(lines)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'build.build_failed',
      status: 422,
      message: expect.stringContaining('RUN echo about to fail && false'),
      detail: { tail: expect.arrayContaining(['about to fail']) },
    });
    expect(lines.join('')).not.toContain('Pushing');
    expect(await registry.digestOf(`acme/app:${counter}`)).toBeUndefined();
  });

  it('should refuse Dockerfiles and contexts outside the source', async () => {
    const outside = join(root, 'outside-secret');
    await writeFile(outside, 'FROM scratch\n');
    const cases: Array<[Partial<BuildRequest>, string]> = [
      [{ dockerfile: '../outside-secret' }, 'build.dockerfile_outside_source'],
      [{ dockerfile: '/etc/passwd' }, 'build.dockerfile_outside_source'],
      [{ dockerfile: 'link' }, 'build.dockerfile_outside_source'],
      [{ dockerfile: 'missing' }, 'build.dockerfile_not_found'],
      [{ dockerfile: 'empty-dir' }, 'build.dockerfile_not_found'],
      [{ contextDir: 'ctx-link' }, 'build.dockerfile_context_outside_source'],
      [{ contextDir: 'no-such-dir' }, 'build.dockerfile_context_not_found'],
      [{ dockerfile: 'NoFrom' }, 'build.dockerfile_no_from'],
      [{ buildArgs: { 'A B': 'x' } }, 'build.dockerfile_build_arg'],
    ];
    for (const [more, code] of cases) {
      const request = await project(
        { Dockerfile: 'FROM scratch\n', NoFrom: '# nothing\n', 'empty-dir/.keep': '' },
        more,
      );
      await symlink(outside, join(request.sourceDir, 'link')).catch(() => undefined);
      await symlink(root, join(request.sourceDir, 'ctx-link')).catch(() => undefined);
      await expect(builder.build(request, step())).rejects.toMatchObject({ code });
    }
  });

  it('should not copy a file a symlink in the context points at outside it', async () => {
    const secret = join(root, 'host-secret');
    await writeFile(secret, 'HOST SECRET CONTENT\n');
    const request = await project({
      Dockerfile: `FROM ${registry.host}/base/shell:1\nCOPY leak /leak\nRUN cat /leak\n`,
    });
    await symlink(secret, join(request.sourceDir, 'leak'));
    const lines: string[] = [];
    await expect(builder.build(request, step(lines))).rejects.toMatchObject({
      code: 'build.build_failed',
    });
    expect(lines.join('')).not.toContain('HOST SECRET CONTENT');
  });

  itWithTools([...TOOLS, 'cc'])(
    'should keep a RUN step running as root from chrooting its way out to the host',
    async () => {
      const secret = join(root, 'escape-target');
      await writeFile(secret, 'THE HOST FILE\n');
      const request = await project({
        Dockerfile: `FROM ${registry.host}/base/shell:1\nCOPY escape /escape\nRUN /escape\n`,
      });
      await writeFile(join(root, 'escape.c'), escapeProgram(secret));
      await exec(
        'cc',
        ['-static', '-O2', '-o', join(request.sourceDir, 'escape'), join(root, 'escape.c')],
        {
          timeout: 60_000,
        },
      );
      const lines: string[] = [];
      await expect(builder.build(request, step(lines))).rejects.toMatchObject({
        code: 'build.build_failed',
      });
      expect(lines.join('')).toContain('chroot: Operation not permitted');
      expect(lines.join('')).not.toContain('THE HOST FILE');
    },
  );

  it('should refuse an image over the size limit before pushing it', async () => {
    const dockerfile = `FROM ${registry.host}/base/tiny:1\nCOPY big /big\n`;
    const limit = 1024 * 1024;
    const refused = await project({ Dockerfile: dockerfile, big: randomBytes(3 * limit) });
    const lines: string[] = [];
    await expect(
      builder.build({ ...refused, maxImageBytes: limit }, step(lines)),
    ).rejects.toMatchObject({
      code: 'build.image_too_large',
      status: 413,
      detail: { limit },
    });
    expect(lines.join('')).not.toContain('Pushing');
    expect(await registry.digestOf(`acme/app:${counter}`)).toBeUndefined();
    // 3 MiB of one letter is 3 MiB stored but a few KiB compressed: under the limit.
    const compressible = await project({
      Dockerfile: dockerfile,
      big: Buffer.alloc(3 * limit, 0x61),
    });
    await expect(
      builder.build({ ...compressible, maxImageBytes: limit }, step()),
    ).resolves.toMatchObject({ base: { digest: bases.tiny } });
  });

  it('should kill buildah and the RUN step when the time runs out', async () => {
    const marker = `9${Date.now() % 100000}`;
    const request = await project({
      Dockerfile: `FROM ${registry.host}/base/shell:1\nRUN echo sleeping && sleep ${marker}\n`,
    });
    const stop = new AbortController();
    const lines: string[] = [];
    const started = Date.now();
    const running = builder.build(request, step(lines, stop.signal));
    const waitForSleep = async () => {
      while (!/^sleeping$/m.test(lines.join('')) && Date.now() - started < 30_000) {
        await new Promise((r) => setTimeout(r, 100));
      }
      stop.abort(new Error('time limit'));
    };
    await Promise.all([
      expect(running).rejects.toMatchObject({ code: 'build.aborted' }),
      waitForSleep(),
    ]);
    expect(lines.join('')).toMatch(/^sleeping$/m); // it was stopped in the RUN step
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await processesMentioning(`sleep ${marker}`)).toEqual([]);
    expect(await processesMentioning(request.workDir)).toEqual([]);
  });
});

/** A C program that tries the classic chroot escape and prints the host file it then reads. */
function escapeProgram(target: string): string {
  return `#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void) {
  mkdir("/jail", 0755);
  if (chroot("/jail") != 0) { perror("chroot"); return 1; }
  for (int i = 0; i < 64; i++) chdir("..");
  if (chroot(".") != 0) { perror("chroot out"); return 1; }
  FILE *f = fopen("${target}", "r");
  char line[256] = {0};
  if (f && fgets(line, sizeof line, f)) printf("escaped: %s", line);
  return 0;
}
`;
}

async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (/^\d+$/.test(pid)) {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(
        /\0/g,
        ' ',
      );
      if (cmdline.includes(text)) {
        found.push(cmdline);
      }
    }
  }
  return found;
}
