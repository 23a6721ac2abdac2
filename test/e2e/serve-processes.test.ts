import { get } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { serveCli } from '../support/serve-cli.js';

/** The pids of `pid`'s live `serve` children (Linux /proc): its HTTP processes. */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // The parent's pid is the second field after the command's closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      // The primary's other children are its workers' spare scan processes.
      const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      if (ppid === pid && argv.includes('serve')) {
        found.push(Number(name));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Polls `probe` every 100 ms until it returns true; fails after `ms`. */
async function eventually(probe: () => Promise<boolean>, what: string, ms = 20_000) {
  for (const until = Date.now() + ms; Date.now() < until;) {
    if (await probe()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

/** GET on a connection of its own (the cluster hands each connection to the next process). */
function getAlone(url: string, cookie: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { cookie } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

describe('serve --processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hallmark-processes-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('should serve from several processes, replace one that dies, and stop them all', async () => {
    const served = await serveCli(['--data-dir', path.join(dir, 'data'), '--processes', '3']);
    let stopped = false;
    try {
      expect(served.stdout()).toContain('(3 HTTP processes; metadata: SQLite');
      // The first process created the staff account; the primary says so once.
      const created = served
        .stdout()
        .match(/^Created the staff account admin with password (\S+) /gm);
      expect(created).toHaveLength(1);
      const password = /password (\S+) /.exec(created?.[0] ?? '')?.[1] ?? '';
      const processes = await childrenOf(served.pid);
      expect(processes).toHaveLength(3);

      // A session made on one process holds on every other: it lives in the database.
      const staff = await new ApiClient(served.url).login('admin', password);
      const session = await staff.get('/session');
      expect(session.status).toBe(200);
      const cookie = (staff as unknown as { cookie: string }).cookie;
      for (let i = 0; i < 6; i++) {
        const res = await getAlone(`${served.url}/api/v1/session`, cookie);
        expect(res.status, res.body).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ user: { login: 'admin' } });
      }

      // A job queued in an HTTP process (the confirmation mail of a registration) is run by the
      // primary's workers; without an SMTP server the mail is a file in the data directory.
      const registered = await new ApiClient(served.url).post('/accounts', {
        login: 'pat-lee',
        email: 'pat@example.com',
        password: 'secret-password',
        firstName: 'Pat',
        lastName: 'Lee',
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      await eventually(async () => {
        const mail = await readdir(path.join(dir, 'data', 'mail'), { recursive: true }).catch(
          () => [],
        );
        return mail.some((name) => name.endsWith('.eml'));
      }, 'the confirmation mail');

      // One dies: the others go on answering, and the primary starts another.
      const [victim] = processes;
      process.kill(victim ?? 0, 'SIGKILL');
      expect((await getAlone(`${served.url}/api/v1/session`, cookie)).status).toBe(200);
      await eventually(async () => {
        const now = await childrenOf(served.pid);
        return now.length === 3 && !now.includes(victim ?? 0);
      }, 'a replacement process');
      expect(served.stderr()).toContain('an HTTP process died; starting another');
      for (let i = 0; i < 4; i++) {
        expect((await getAlone(`${served.url}/api/v1/session`, cookie)).status).toBe(200);
      }

      const running = await childrenOf(served.pid);
      stopped = true;
      expect(await served.stop()).toBe(0);
      for (const pid of running) {
        await expect(readFile(`/proc/${pid}/stat`, 'utf8')).rejects.toMatchObject({
          code: 'ENOENT',
        });
      }
    } finally {
      if (!stopped) {
        await served.stop();
      }
    }
  });

  it('should wait twice as long before each new try while replacements die before they listen', async () => {
    // Replacements run the same command again and read the configuration file again: broken
    // after the start, it makes each of them exit before it listens.
    const config = path.join(dir, 'backoff.json');
    await writeFile(config, '{}');
    const served = await serveCli([
      '--data-dir',
      path.join(dir, 'backoff'),
      '--processes',
      '2',
      '--config',
      config,
    ]);
    try {
      const first = await childrenOf(served.pid);
      expect(first).toHaveLength(2);
      await writeFile(config, '{ not json');
      const [victim] = first;
      process.kill(victim ?? 0, 'SIGKILL');
      // When each new process was first seen: it is forked no sooner than its wait after the
      // death or failure logged before it.
      const seen = new Map<number, number>();
      const noteForks = async (): Promise<number[]> => {
        const now = await childrenOf(served.pid);
        for (const pid of now) {
          if (!first.includes(pid) && !seen.has(pid)) {
            seen.set(pid, Date.now());
          }
        }
        return now;
      };
      /** When the primary logged `message`, each time. */
      const loggedAt = (message: string) =>
        served
          .stderr()
          .split('\n')
          .filter((line) => line.includes(message))
          .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
      const failures = () => loggedAt('a replacement HTTP process failed');
      await eventually(
        async () => {
          await noteForks();
          return failures().length >= 2;
        },
        'two failed replacements',
        30_000,
      );
      await writeFile(config, '{}');
      await eventually(
        async () => {
          const now = await noteForks();
          return now.length === 2 && !now.includes(victim ?? 0);
        },
        'a replacement that listens',
        30_000,
      );
      const died = loggedAt('an HTTP process died');
      expect(died).toHaveLength(1);
      const [diedAt = 0] = died;
      const [firstFailure = 0, secondFailure = 0] = failures();
      const forks = [...seen.values()].sort((a, b) => a - b);
      expect(forks.length).toBeGreaterThanOrEqual(3);
      const [tryOne = 0, tryTwo = 0, tryThree = 0] = forks;
      // The clock's milliseconds are the log's; 50 ms of slack for the rounding of both.
      expect(tryOne - diedAt).toBeGreaterThanOrEqual(1_000 - 50);
      expect(tryTwo - firstFailure).toBeGreaterThanOrEqual(2_000 - 50);
      expect(tryThree - secondFailure).toBeGreaterThanOrEqual(4_000 - 50);
      expect(served.stderr()).toMatch(/config/i);
    } finally {
      await served.stop();
    }
  });

  it('should fail at start, saying why, when its processes cannot listen', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const run = await runCli([
        'serve',
        '--data-dir',
        path.join(dir, 'taken'),
        '--processes',
        '2',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
      ]);
      // The exit code of one process that could not listen, as without --processes.
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`Port ${port} is already in use`);
      expect(run.stderr).toContain('exited with code 2 before it listened');
      expect(run.stdout).not.toContain('listening');
    } finally {
      taken.close();
    }
  });

  it('should refuse a number of processes out of range', async () => {
    const run = await runCli(['serve', '--data-dir', path.join(dir, 'bad'), '--processes', '0']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/server\.processes/);
  });
});
