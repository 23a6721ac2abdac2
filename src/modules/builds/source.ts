/**
 * Fetches a build's source with the real `git`: a shallow fetch of one ref (branch, tag or commit
 * id) into a new repository, then its submodules level by level — each submodule URL validated
 * like the origin before git may fetch it — all under the hardened session of `git-session.ts`.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { AppError, invalid, unprocessable } from '../../platform/errors.js';
import type { ClonedSource, GitPolicy, GitSource, StepOptions } from './contracts.js';
import { resolveGitUrl } from './git-url.js';
import type { ResolvedGitUrl } from './git-url.js';
import { openSession, pinsFor } from './git-session.js';
import type { GitSession, GitSetting } from './git-session.js';
import { trustedHostKey } from './host-keys.js';
import { runTool } from './run-tool.js';

/** The options of one clone. */
export type CloneOptions = StepOptions & {
  readonly policy: GitPolicy;
  /** Wall-clock limit of the whole clone, submodules included. */
  readonly timeoutMs: number;
};

/**
 * Clones `source` at its ref into `dest` (which must not exist yet) and resolves the commit.
 * The URL is validated again against `policy` (DNS may answer otherwise than when it was saved).
 * @returns the commit checked out and, for ssh, the host key trusted (to record on first use)
 * @throws AppError `build.git_url.*` and `build.git_ref.invalid` (400) for refused input,
 *   `build.host_key_changed` (422, `detail.hostKey` the new key), `build.git_failed` (422) when
 *   git fails, `build.clone_timed_out` (422) past `timeoutMs`, `build.aborted` when the signal fires
 */
export async function cloneSource(
  source: GitSource,
  dest: string,
  options: CloneOptions,
): Promise<ClonedSource> {
  const ref = checkRef(source.ref);
  const origin = await resolveGitUrl(source.url.url, options.policy);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error('clone time limit')), options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  // Beside the clone, in the build's own directory: HOME, the key and the credential file.
  await mkdir(dirname(resolve(dest)), { recursive: true, mode: 0o700 });
  const scratch = await mkdtemp(join(dirname(resolve(dest)), '.git-session-'));
  try {
    const hostKey = await hostKeyFor(source, origin, signal);
    const session = await openSession({
      source,
      origin,
      policy: options.policy,
      scratch,
      ...(hostKey === undefined ? {} : { hostKey }),
    });
    const git = gitRunner(session, signal, options.log);
    // Three git runs, each a process start: the URL is fetched directly (the remote is only
    // recorded when submodules need it) and the commit is read from the detached HEAD.
    await git(['init', '-q', '--', dest]);
    await git([
      '-C',
      dest,
      'fetch',
      '--depth',
      '1',
      '--no-tags',
      '--',
      origin.url.url,
      ref ?? 'HEAD',
    ]);
    await git(['-C', dest, 'checkout', '-q', '--detach', 'FETCH_HEAD']);
    const commit = await checkedOut(dest, git);
    await submodules(dest, origin, { git, policy: options.policy }, 1);
    return { commit, ...(hostKey === undefined ? {} : { hostKey }) };
  } catch (err) {
    if (timeout.signal.aborted && !options.signal.aborted) {
      throw unprocessable(
        'build.clone_timed_out',
        `The clone took longer than ${Math.round(options.timeoutMs / 1000)} s and was stopped.`,
        undefined,
        { cause: err },
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A full commit id (SHA-1, or SHA-256 in a repository of that format). */
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit checked out: a detached HEAD is the commit id itself in `.git/HEAD` (an annotated
 * tag peeled), which git wrote into the new repository; `git rev-parse` should it read otherwise.
 */
async function checkedOut(dest: string, git: Git): Promise<string> {
  const head = (await readFile(join(dest, '.git', 'HEAD'), 'utf8').catch(() => '')).trim();
  const commit = COMMIT.test(head)
    ? head
    : (await git(['-C', dest, 'rev-parse', 'HEAD'], { capture: true })).trim();
  if (!COMMIT.test(commit)) {
    throw unprocessable('build.git_failed', `git named the commit "${commit}".`);
  }
  return commit;
}

/** Submodules deeper than this are refused (each level is one more round of fetches). */
const MAX_SUBMODULE_DEPTH = 5;
/** A branch or tag name git would accept, that cannot be read as an option or a refspec. */
const REF =
  /^(?![-+/.])(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))(?!.*[/.]$)[A-Za-z0-9._/@+-]{1,255}$/;

/** Options of one git command. */
interface GitOptions {
  /** Return stdout instead of logging it. */
  readonly capture?: boolean;
  /** Settings for this command only. */
  readonly extra?: readonly GitSetting[];
  /** Exit code 1 means "nothing" (`git config --get-regexp`): return ''. */
  readonly emptyOnExit1?: boolean;
}

type Git = (args: string[], opts?: GitOptions) => Promise<string>;

function checkRef(ref: string | undefined): string | undefined {
  if (ref === undefined || ref === '') {
    return undefined;
  }
  if (!REF.test(ref) || ref === '@') {
    throw invalid(
      'build.git_ref.invalid',
      'The git ref is not a branch name, tag name or full commit id.',
      { ref: ref.slice(0, 300) },
    );
  }
  return ref;
}

/** The host key to trust for an ssh origin (scanned on first use), or undefined for others. */
async function hostKeyFor(
  source: GitSource,
  origin: ResolvedGitUrl,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { url, addresses } = origin;
  if (url.kind !== 'ssh' || url.host === undefined) {
    return undefined;
  }
  const endpoint = { host: url.host, port: url.port ?? 22, address: addresses[0] ?? url.host };
  return trustedHostKey(endpoint, source.knownHostKey, signal, { HOME: '/nonexistent' });
}

/** Runs git commands of the session, each shown in the log before its output. */
function gitRunner(session: GitSession, signal: AbortSignal, log: (text: string) => void): Git {
  return async (args, opts = {}) => {
    const shown = args[0] === '-C' ? args.slice(2) : args;
    if (opts.capture !== true) {
      log(`$ git ${shown.join(' ')}\n`);
    }
    const result = await runTool({
      command: 'git',
      args,
      env: session.env(opts.extra),
      signal,
      log,
      secrets: session.secrets,
      ...(opts.capture === true ? { captureStdout: true } : {}),
    });
    if (result.exitCode === 1 && opts.emptyOnExit1 === true) {
      return '';
    }
    if (result.exitCode !== 0) {
      throw unprocessable(
        'build.git_failed',
        `git ${shown[0] ?? ''} failed: ${reason(result.tail)}`,
        {
          tail: result.tail,
        },
      );
    }
    return result.stdout;
  };
}

/** The lines of git's output that say why it failed: from the line before its first error. */
function reason(tail: readonly string[]): string {
  const lines = tail.filter((l) => l.trim() !== '' && !l.startsWith('$ '));
  const first = lines.findIndex((l) => /^(fatal|error):/.test(l));
  const from = first < 0 ? Math.max(0, lines.length - 3) : Math.max(0, first - 1);
  return lines.slice(from, from + 3).join(' ');
}

interface SubmoduleContext {
  readonly git: Git;
  readonly policy: GitPolicy;
}

/**
 * Checks out the submodules of the repository at `dir`: `git submodule init` resolves their URLs
 * (relative ones against the parent's), each is validated like the origin, then fetched at its
 * recorded commit, shallowly; then the same one level down.
 */
async function submodules(
  dir: string,
  parent: ResolvedGitUrl,
  ctx: SubmoduleContext,
  depth: number,
): Promise<void> {
  if (!(await exists(join(dir, '.gitmodules')))) {
    return;
  }
  if (depth > MAX_SUBMODULE_DEPTH) {
    throw invalid(
      'build.submodule.too_deep',
      `Submodules nest deeper than ${MAX_SUBMODULE_DEPTH} levels.`,
    );
  }
  if (depth === 1) {
    // Relative submodule URLs resolve against the origin (the fetch above named no remote).
    await ctx.git(['-C', dir, 'remote', 'add', 'origin', '--', parent.url.url]);
  }
  await ctx.git(['-C', dir, 'submodule', 'init']);
  const urls = await configEntries(ctx.git, dir, ['--local'], /^submodule\.(.+)\.url$/);
  if (urls.length === 0) {
    return;
  }
  const resolved: ResolvedGitUrl[] = [];
  for (const [name, url] of urls) {
    resolved.push(await checkSubmodule(name, url, parent, ctx.policy));
  }
  await ctx.git(['-C', dir, 'submodule', 'update', '--depth', '1', '--checkout'], {
    extra: pinsFor(resolved),
  });
  const paths = await configEntries(ctx.git, dir, ['-f', '.gitmodules'], /^submodule\.(.+)\.path$/);
  for (const [name] of urls) {
    const path = paths.find(([n]) => n === name)?.[1];
    const child = path === undefined ? undefined : resolve(dir, path);
    const at = urls.findIndex(([n]) => n === name);
    const url = resolved[at];
    if (child !== undefined && url !== undefined && isInside(dir, child)) {
      await submodules(child, url, ctx, depth + 1);
    }
  }
}

/** Validates one submodule URL; ssh ones must be on the origin's server (its key is the one trusted). */
async function checkSubmodule(
  name: string,
  url: string,
  parent: ResolvedGitUrl,
  policy: GitPolicy,
): Promise<ResolvedGitUrl> {
  let checked: ResolvedGitUrl;
  try {
    checked = await resolveGitUrl(url, policy);
  } catch (err) {
    if (err instanceof AppError) {
      throw invalid(err.code, `Submodule ${name}: ${err.message}`, {
        ...err.detail,
        submodule: name,
      });
    }
    throw err;
  }
  const sameServer = checked.url.host === parent.url.host && checked.url.port === parent.url.port;
  if (checked.url.kind === 'ssh' && (parent.url.kind !== 'ssh' || !sameServer)) {
    throw invalid(
      'build.submodule.ssh_host',
      `Submodule ${name} is fetched over ssh from another server than the repository; only the repository's own ssh server is trusted.`,
      { submodule: name, host: checked.url.host },
    );
  }
  return checked;
}

/** `git config -z --get-regexp` entries whose key matches `pattern`: [captured name, value]. */
async function configEntries(
  git: Git,
  dir: string,
  where: string[],
  pattern: RegExp,
): Promise<Array<[string, string]>> {
  const out = await git(['-C', dir, 'config', ...where, '-z', '--get-regexp', pattern.source], {
    capture: true,
    emptyOnExit1: true,
  });
  const entries: Array<[string, string]> = [];
  for (const record of out.split('\0')) {
    const nl = record.indexOf('\n');
    const name = pattern.exec(record.slice(0, nl))?.[1];
    if (nl > 0 && name !== undefined) {
      entries.push([name, record.slice(nl + 1)]);
    }
  }
  return entries;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
