/**
 * Real git repositories for tests, made from maps of files (commits, branches, tags, submodule
 * links), and a smart-HTTP server for them: `git http-backend` run as a CGI behind node:http on
 * a loopback port, optionally asking for basic auth.
 *
 * @example
 *   const root = await mkdtemp(join(tmpdir(), 'repos-'));
 *   const repo = await makeRepo(root, 'app.git', { Dockerfile: 'FROM scratch\n' });
 *   await repo.tag('v1');
 *   const server = await serveGitHttp({ root, auth: { user: 'ci', token: 's3cret' } });
 *   // clone `${server.url}/app.git`, then:
 *   await server.close();
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalServer } from './local-http.js';

const exec = promisify(execFile);

/** How long one git command or one http-backend request may take. */
const GIT_TIMEOUT_MS = 30_000;

/** A repository with a working tree, at `<root>/<name>`. */
export interface TestRepo {
  /** Its directory (what `file://` and ssh URLs name). */
  readonly dir: string;
  /** Its path under the root, e.g. `app.git` (what http URLs name). */
  readonly name: string;
  /** Writes the files (null deletes one), commits them on the current branch; the commit id. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Creates a branch at HEAD and switches to it. */
  branch(name: string): Promise<void>;
  /** Switches to an existing branch. */
  checkout(name: string): Promise<void>;
  /** An annotated tag at HEAD. */
  tag(name: string): Promise<void>;
  /**
   * Records a submodule at `path` with `url` at commit `commit` (a gitlink and `.gitmodules`,
   * as `git submodule add` leaves them, without fetching) and commits it.
   */
  addSubmodule(path: string, url: string, commit: string): Promise<string>;
  /** The commit id HEAD points at. */
  head(): Promise<string>;
  /** Runs git in the repository; its stdout. */
  git(...args: string[]): Promise<string>;
}

let gitHome: Promise<string> | undefined;

/** The environment of the test's own git commands: no user or system configuration. */
async function gitEnv(): Promise<NodeJS.ProcessEnv> {
  gitHome ??= mkdtemp(join(tmpdir(), 'hallmark-git-home-'));
  return {
    PATH: process.env.PATH,
    HOME: await gitHome,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    LC_ALL: 'C',
  };
}

async function runGit(dir: string, args: string[]): Promise<string> {
  const { stdout } = await exec(
    'git',
    ['-c', 'init.defaultBranch=main', '-c', 'protocol.file.allow=always', '-C', dir, ...args],
    { env: await gitEnv(), timeout: GIT_TIMEOUT_MS, maxBuffer: 1 << 24 },
  );
  return stdout;
}

/** Makes a repository at `<root>/<name>` whose first commit on `main` holds `files`. */
export async function makeRepo(
  root: string,
  name: string,
  files: Record<string, string>,
): Promise<TestRepo> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await runGit(dir, ['init', '-q']);
  const repo: TestRepo = {
    dir,
    name,
    git: (...args) => runGit(dir, args),
    async commit(changes, message = 'change') {
      for (const [path, content] of Object.entries(changes)) {
        const file = join(dir, path);
        if (content === null) {
          await rm(file, { force: true });
        } else {
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, content);
        }
      }
      await runGit(dir, ['add', '-A']);
      await runGit(dir, ['commit', '-q', '--allow-empty', '-m', message]);
      return repo.head();
    },
    async branch(branch) {
      await runGit(dir, ['checkout', '-q', '-b', branch]);
    },
    async checkout(branch) {
      await runGit(dir, ['checkout', '-q', branch]);
    },
    async tag(tag) {
      await runGit(dir, ['tag', '-a', '-m', tag, tag]);
    },
    async addSubmodule(path, url, commit) {
      await runGit(dir, ['config', '-f', '.gitmodules', `submodule.${path}.path`, path]);
      await runGit(dir, ['config', '-f', '.gitmodules', `submodule.${path}.url`, url]);
      await runGit(dir, ['update-index', '--add', '--cacheinfo', `160000,${commit},${path}`]);
      await runGit(dir, ['add', '.gitmodules']);
      await runGit(dir, ['commit', '-q', '-m', `submodule ${path}`]);
      return repo.head();
    },
    async head() {
      return (await runGit(dir, ['rev-parse', 'HEAD'])).trim();
    },
  };
  await repo.commit(files, 'initial');
  return repo;
}

/** A running smart-HTTP git server. */
export interface GitHttpServer {
  /** `http://127.0.0.1:PORT`; a repository is `${url}/${repo.name}`. */
  readonly url: string;
  /** Every request: method, path and query, and the Authorization header if any. */
  readonly requests: Array<{ method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

/** What the server serves and whom it lets in. */
export interface GitHttpOptions {
  /** The directory holding the repositories. */
  readonly root: string;
  /** When given, every request needs HTTP basic auth with this user and token. */
  readonly auth?: { readonly user: string; readonly token: string };
}

/** Serves the repositories under `root` over git's smart HTTP protocol on 127.0.0.1. */
export async function serveGitHttp(options: GitHttpOptions): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  const expected =
    options.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.auth.user}:${options.auth.token}`).toString('base64')}`;
  const server = await startLocalServer(async (req, res) => {
    const authorization = req.headers.authorization;
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      ...(authorization === undefined ? {} : { authorization }),
    });
    if (expected !== undefined && authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication needed');
      return;
    }
    await httpBackend(options.root, req, res);
  });
  return { url: server.url, requests, close: () => server.close() };
}

/** Runs `git http-backend` for one request (RFC 3875 CGI) and relays its answer. */
async function httpBackend(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: await (gitHome ??= mkdtemp(join(tmpdir(), 'hallmark-git-home-'))),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'test',
  };
  const optional: Record<string, string | undefined> = {
    CONTENT_TYPE: header('content-type'),
    CONTENT_LENGTH: header('content-length'),
    HTTP_CONTENT_ENCODING: header('content-encoding'),
    HTTP_GIT_PROTOCOL: header('git-protocol'), // protocol v2
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => cgi.kill('SIGKILL'), GIT_TIMEOUT_MS);
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => undefined);
  let stderr = '';
  cgi.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let head = Buffer.alloc(0);
  let started = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (started) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      return;
    }
    started = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const at = line.indexOf(':');
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === 'status') {
        status = Number(value.split(' ')[0]);
      } else {
        headers[name] = value;
      }
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  await new Promise<void>((resolve) => cgi.on('close', () => resolve()));
  clearTimeout(timer);
  if (!started) {
    res.writeHead(500).end(`git http-backend failed: ${stderr}`);
    return;
  }
  res.end();
}
