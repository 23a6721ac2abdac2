import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { makeRepo, serveGitHttp } from '../../../test/support/git-server.js';
import type { GitHttpServer, TestRepo } from '../../../test/support/git-server.js';
import { startSshd } from '../../../test/support/sshd.js';
import type { TestSshd } from '../../../test/support/sshd.js';
import { hasTool, itWithTools } from '../../../test/support/tools.js';
import type { GitPolicy, GitSource } from './contracts.js';
import { generateDeployKey, sshFingerprint } from './deploy-key.js';
import { parseGitUrl } from './git-url.js';
import { cloneSource } from './source.js';
import type { CloneOptions } from './source.js';

const exec = promisify(execFile);
/** Loopback servers are what the tests have; local repositories only where a test says so. */
const LOOPBACK: GitPolicy = { allowLocal: false, allowPrivateAddresses: true };
const LOCAL: GitPolicy = { allowLocal: true, allowPrivateAddresses: true };

let root: string;
let work: string;
let app: TestRepo;
let lib: TestRepo;
let commits: { main: string; first: string; dev: string; v1: string };
let server: GitHttpServer;
let counter = 0;

/** A fresh destination directory for one clone. */
function dest(): string {
  return join(work, `clone-${++counter}`, 'source');
}

async function source(
  url: string,
  policy: GitPolicy,
  more: Partial<GitSource> = {},
): Promise<GitSource> {
  return { url: await parseGitUrl(url, policy), ...more };
}

function options(policy: GitPolicy, lines: string[] = [], more: Partial<CloneOptions> = {}) {
  return {
    log: (text: string) => lines.push(text),
    signal: new AbortController().signal,
    policy,
    timeoutMs: 30_000,
    ...more,
  };
}

const git = itWithTools(['git']);

describe('cloneSource', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hallmark-repos-'));
    work = await mkdtemp(join(tmpdir(), 'hallmark-clones-'));
    lib = await makeRepo(root, 'lib.git', { 'lib.txt': 'library v1\n' });
    app = await makeRepo(root, 'app.git', {
      Dockerfile: 'FROM scratch\nCOPY hello /hello\n',
      hello: 'hello main 1\n',
    });
    const first = await app.head();
    await app.tag('v1');
    const v1 = first;
    await app.branch('dev');
    const dev = await app.commit({ hello: 'hello dev\n' }, 'on dev');
    await app.checkout('main');
    const main = await app.commit({ hello: 'hello main 2\n' }, 'second');
    commits = { main, first, dev, v1 };
    server = await serveGitHttp({ root });
  });

  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  git('should clone the default branch over smart HTTP and resolve its commit', async () => {
    const lines: string[] = [];
    const to = dest();
    const cloned = await cloneSource(
      await source(`${server.url}/app.git`, LOOPBACK),
      to,
      options(LOOPBACK, lines),
    );
    expect(cloned).toEqual({ commit: commits.main });
    expect(await readFile(join(to, 'hello'), 'utf8')).toBe('hello main 2\n');
    expect(lines.join('')).toContain(
      `$ git fetch --depth 1 --no-tags -- ${server.url}/app.git HEAD`,
    );
    const depth = await exec('git', ['-C', to, 'rev-list', '--count', 'HEAD']);
    expect(depth.stdout.trim()).toBe('1');
  });

  const refCases = [
    ['a branch', 'dev', 'dev', 'hello dev\n'],
    ['a tag', 'v1', 'v1', 'hello main 1\n'],
    ['a full commit id', 'first', 'first', 'hello main 1\n'],
    ['refs/heads/…', 'refs/heads/dev', 'dev', 'hello dev\n'],
  ] as const;
  for (const [what, ref, expected, hello] of refCases) {
    git(`should clone ${what}`, async () => {
      const to = dest();
      const wanted = ref === 'first' ? commits.first : ref;
      const cloned = await cloneSource(
        await source(`${server.url}/app.git`, LOOPBACK, { ref: wanted }),
        to,
        options(LOOPBACK),
      );
      expect(cloned.commit).toBe(commits[expected]);
      expect(await readFile(join(to, 'hello'), 'utf8')).toBe(hello);
    });
  }

  git('should refuse refs git could read as options or refspecs', async () => {
    for (const ref of ['-upload-pack=x', '+main', 'main:refs/heads/x', 'a..b', 'x y', '@', 'm^']) {
      await expect(
        cloneSource(
          await source(`${server.url}/app.git`, LOOPBACK, { ref }),
          dest(),
          options(LOOPBACK),
        ),
      ).rejects.toMatchObject({ code: 'build.git_ref.invalid', status: 400 });
    }
  });

  git('should fail with git’s reason for a ref that does not exist', async () => {
    const lines: string[] = [];
    await expect(
      cloneSource(
        await source(`${server.url}/app.git`, LOOPBACK, { ref: 'no-such-branch' }),
        dest(),
        options(LOOPBACK, lines),
      ),
    ).rejects.toMatchObject({
      code: 'build.git_failed',
      message: expect.stringContaining("couldn't find remote ref no-such-branch"),
    });
  });

  git('should validate the URL again at clone time', async () => {
    const before = server.requests.length;
    const src = await source(`${server.url}/app.git`, LOOPBACK);
    await expect(
      cloneSource(src, dest(), options({ allowLocal: false, allowPrivateAddresses: false })),
    ).rejects.toMatchObject({ code: 'build.git_url.plain_http' });
    expect(server.requests.length).toBe(before);
  });

  describe('with credentials', () => {
    let secured: GitHttpServer;
    const token = 'tok-3f9a7c1e-very-secret';
    beforeAll(async () => {
      secured = await serveGitHttp({ root, auth: { user: 'ci-bot', token } });
    });
    afterAll(async () => {
      await secured?.close();
    });

    git('should send the token to the origin and never show it', async () => {
      const lines: string[] = [];
      const cloned = await cloneSource(
        await source(`${secured.url}/app.git`, LOOPBACK, { https: { user: 'ci-bot', token } }),
        dest(),
        options(LOOPBACK, lines),
      );
      expect(cloned.commit).toBe(commits.main);
      const encoded = Buffer.from(`ci-bot:${token}`).toString('base64');
      expect(secured.requests.some((r) => r.authorization === `Basic ${encoded}`)).toBe(true);
      expect(lines.join('')).not.toContain(token);
      expect(lines.join('')).not.toContain(encoded);
    });

    git('should fail without credentials, or with wrong ones, without prompting', async () => {
      const lines: string[] = [];
      await expect(
        cloneSource(await source(`${secured.url}/app.git`, LOOPBACK), dest(), options(LOOPBACK)),
      ).rejects.toMatchObject({ code: 'build.git_failed' });
      const wrong = 'wrong-token-value-123';
      await expect(
        cloneSource(
          await source(`${secured.url}/app.git`, LOOPBACK, {
            https: { user: 'ci-bot', token: wrong },
          }),
          dest(),
          options(LOOPBACK, lines),
        ),
      ).rejects.toMatchObject({ code: 'build.git_failed' });
      expect(lines.join('')).not.toContain(wrong);
    });

    git('should not hand the token to a submodule on another server', async () => {
      const elsewhere = await serveGitHttp({ root, auth: { user: 'ci-bot', token } });
      try {
        const lib2 = await lib.head();
        const superRepo = await makeRepo(root, 'with-remote-lib.git', { a: 'a\n' });
        await superRepo.addSubmodule('lib', `${elsewhere.url}/lib.git`, lib2);
        await expect(
          cloneSource(
            await source(`${secured.url}/with-remote-lib.git`, LOOPBACK, {
              https: { user: 'ci-bot', token },
            }),
            dest(),
            options(LOOPBACK),
          ),
        ).rejects.toMatchObject({ code: 'build.git_failed' });
        expect(elsewhere.requests.length).toBeGreaterThan(0);
        expect(elsewhere.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('local repositories', () => {
    git('should clone file:// URLs and absolute paths only where allowed', async () => {
      const cloned = await cloneSource(
        await source(`file://${app.dir}`, LOCAL, { ref: 'dev' }),
        dest(),
        options(LOCAL),
      );
      expect(cloned.commit).toBe(commits.dev);
      const byPath = await cloneSource(await source(app.dir, LOCAL), dest(), options(LOCAL));
      expect(byPath.commit).toBe(commits.main);
      await expect(
        cloneSource(await source(app.dir, LOCAL), dest(), options(LOOPBACK)),
      ).rejects.toMatchObject({ code: 'build.git_url.local_not_allowed' });
    });
  });

  describe('submodules', () => {
    let withLib: TestRepo;
    let withExt: TestRepo;
    let withFile: TestRepo;
    let marker: string;
    beforeAll(async () => {
      marker = join(work, 'ext-ran');
      const libCommit = await lib.head();
      withLib = await makeRepo(root, 'with-lib.git', { Dockerfile: 'FROM scratch\n' });
      await withLib.addSubmodule('vendor/lib', '../lib.git', libCommit);
      withExt = await makeRepo(root, 'with-ext.git', { Dockerfile: 'FROM scratch\n' });
      await withExt.addSubmodule('evil', `ext::sh -c touch% ${marker}`, libCommit);
      withFile = await makeRepo(root, 'with-file.git', { Dockerfile: 'FROM scratch\n' });
      await withFile.addSubmodule('local', `file://${lib.dir}`, libCommit);
    });

    git('should check out a submodule (relative URL) at its recorded commit', async () => {
      const to = dest();
      const lines: string[] = [];
      await cloneSource(
        await source(`${server.url}/with-lib.git`, LOOPBACK),
        to,
        options(LOOPBACK, lines),
      );
      expect(await readFile(join(to, 'vendor/lib/lib.txt'), 'utf8')).toBe('library v1\n');
      expect(lines.join('')).toContain('$ git submodule update --depth 1 --checkout');
    });

    git('should refuse an ext:: submodule before git runs it', async () => {
      await expect(
        cloneSource(await source(`${server.url}/with-ext.git`, LOOPBACK), dest(), options(LOCAL)),
      ).rejects.toMatchObject({
        code: 'build.git_url.ext_transport',
        message: expect.stringContaining('Submodule evil'),
        detail: expect.objectContaining({ submodule: 'evil' }),
      });
      await expect(stat(marker)).rejects.toThrow();
    });

    git('should refuse a file:// submodule unless local repositories are allowed', async () => {
      await expect(
        cloneSource(
          await source(`${server.url}/with-file.git`, LOOPBACK),
          dest(),
          options(LOOPBACK),
        ),
      ).rejects.toMatchObject({ code: 'build.git_url.local_not_allowed' });
      const to = dest();
      await cloneSource(await source(`${server.url}/with-file.git`, LOCAL), to, options(LOCAL));
      expect(await readFile(join(to, 'local/lib.txt'), 'utf8')).toBe('library v1\n');
    });
  });

  describe('limits', () => {
    git('should kill git when the clone runs past its time limit', async () => {
      const hanging = await startHangingServer();
      try {
        const started = Date.now();
        await expect(
          cloneSource(
            await source(`${hanging.url}/app.git`, LOOPBACK),
            dest(),
            options(LOOPBACK, [], { timeoutMs: 1_000 }),
          ),
        ).rejects.toMatchObject({ code: 'build.clone_timed_out' });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(await processesMentioning(hanging.url)).toEqual([]);
      } finally {
        await hanging.close();
      }
    });

    git('should kill git when the build is cancelled', async () => {
      const hanging = await startHangingServer();
      try {
        const cancel = new AbortController();
        setTimeout(() => cancel.abort(new Error('cancelled')), 500);
        await expect(
          cloneSource(
            await source(`${hanging.url}/app.git`, LOOPBACK),
            dest(),
            options(LOOPBACK, [], { signal: cancel.signal }),
          ),
        ).rejects.toMatchObject({ code: 'build.aborted' });
        expect(await processesMentioning(hanging.url)).toEqual([]);
      } finally {
        await hanging.close();
      }
    });
  });

  describe('over ssh', () => {
    let sshd: TestSshd | undefined;
    const key = generateDeployKey('hallmark-test');
    const ssh = itWithTools(['git', 'sshd', 'ssh-keygen']);
    beforeAll(async () => {
      if (hasTool('sshd') && hasTool('ssh-keygen')) {
        sshd = await startSshd({ authorizedKey: key.publicKey });
      }
    });
    afterAll(async () => {
      await sshd?.stop();
    });

    ssh('should clone with the deploy key and record the host key on first use', async () => {
      const server = sshd!;
      const url = server.url(app.dir);
      const lines: string[] = [];
      const to = dest();
      const first = await cloneSource(
        await source(url, LOOPBACK, { sshPrivateKey: key.privateKey, ref: 'dev' }),
        to,
        options(LOOPBACK, lines),
      );
      expect(first.commit).toBe(commits.dev);
      expect(first.hostKey).toBe(await server.hostKeyLine());
      expect(await readFile(join(to, 'hello'), 'utf8')).toBe('hello dev\n');
      expect(lines.join('')).not.toContain('PRIVATE KEY');
      // The next clone trusts the recorded key.
      const again = await cloneSource(
        await source(url, LOOPBACK, {
          sshPrivateKey: key.privateKey,
          knownHostKey: first.hostKey!,
        }),
        dest(),
        options(LOOPBACK),
      );
      expect(again).toEqual({ commit: commits.main, hostKey: first.hostKey });
      // The deploy key and known_hosts files are gone with the session.
      expect((await readdir(join(to, '..'))).filter((f) => f.startsWith('.git-session-'))).toEqual(
        [],
      );
    });

    ssh('should refuse a changed host key, naming both fingerprints', async () => {
      const server = sshd!;
      const url = server.url(app.dir);
      const recorded = await server.hostKeyLine();
      await server.regenerateHostKey();
      const presented = await server.hostKeyLine();
      const err = await cloneSource(
        await source(url, LOOPBACK, { sshPrivateKey: key.privateKey, knownHostKey: recorded }),
        dest(),
        options(LOOPBACK),
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'build.host_key_changed',
        status: 422,
        detail: {
          previousFingerprint: sshFingerprint(recorded),
          presentedFingerprint: sshFingerprint(presented),
          hostKey: presented,
        },
      });
      expect((err as Error).message).toContain(sshFingerprint(recorded));
      expect((err as Error).message).toContain(sshFingerprint(presented));
      // Accepting the new key (recording it) lets clones through again.
      await expect(
        cloneSource(
          await source(url, LOOPBACK, { sshPrivateKey: key.privateKey, knownHostKey: presented }),
          dest(),
          options(LOOPBACK),
        ),
      ).resolves.toMatchObject({ commit: commits.main });
    });

    ssh('should be refused by the server with another key', async () => {
      const other = generateDeployKey('not-authorised');
      await expect(
        cloneSource(
          await source(sshd!.url(app.dir), LOOPBACK, { sshPrivateKey: other.privateKey }),
          dest(),
          options(LOOPBACK),
        ),
      ).rejects.toMatchObject({
        code: 'build.git_failed',
        message: expect.stringContaining('Permission denied'),
      });
    });
  });
});

/** An HTTP server that accepts connections and never answers. */
async function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Processes whose command line mentions `text` (git and its remote helpers). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) {
      found.push(cmdline.replace(/\0/g, ' '));
    }
  }
  return found;
}
