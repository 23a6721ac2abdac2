/**
 * Runs the external tools of a build (git, ssh-keyscan, buildah, skopeo): an argument array and
 * never a shell, an environment made by the caller from nothing, output streamed line by line
 * with secrets replaced, and on abort the whole process tree killed — its process group and any
 * descendant that left it (buildah's chroot runs setsid).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { AppError, internal } from '../../platform/errors.js';

/** One run of a tool. */
export interface ToolCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the tool (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Aborting kills the tool and everything it started. */
  readonly signal: AbortSignal;
  /** Receives each output line (stderr, and stdout unless captured), secrets replaced. */
  readonly log?: (text: string) => void;
  /** Strings replaced by `[redacted]` wherever they appear in output. */
  readonly secrets?: readonly string[];
  /** Return stdout instead of logging it (up to 1 MiB). */
  readonly captureStdout?: boolean;
}

/** How a tool ended. */
export interface ToolResult {
  /** The exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** stdout when captured. */
  readonly stdout: string;
  /** The last lines of output (secrets replaced), for error messages. */
  readonly tail: readonly string[];
}

/** A fixed search path: the parent's PATH is not trusted to reach a build's tools. */
export const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Code of the error thrown when the signal stopped a tool. */
export const ABORTED = 'build.aborted';

const TAIL_LINES = 30;
const MAX_STDOUT = 1 << 20;
/** A line longer than this is cut (kept: enough bytes to redact a secret split at the cut). */
const MAX_LINE = 64 * 1024;
/** How long a killed tree may take to release its pipes before they are closed regardless. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs a tool to its end.
 * @throws AppError `build.aborted` when the signal fired (the tree is dead when it throws);
 *   `build.tool_missing` (500) when the binary is not installed
 */
export function runTool(cmd: ToolCommand): Promise<ToolResult> {
  if (cmd.signal.aborted) {
    return Promise.reject(abortedError(cmd));
  }
  const child = spawn(cmd.command, [...cmd.args], {
    env: { ...cmd.env },
    ...(cmd.cwd === undefined ? {} : { cwd: cmd.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, killed as one
  });
  const tail: string[] = [];
  const emit = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) {
      tail.shift();
    }
    cmd.log?.(`${line}\n`);
  };
  const secrets = (cmd.secrets ?? []).filter((s) => s.length >= 3);
  const stderr = new LineSplitter(secrets, emit);
  const stdoutLines = new LineSplitter(secrets, emit);
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdout.on('data', (chunk: Buffer) => {
    if (cmd.captureStdout === true) {
      stdout = (stdout + chunk.toString('utf8')).slice(0, MAX_STDOUT);
    } else {
      stdoutLines.push(chunk);
    }
  });
  return new Promise((resolve, reject) => {
    let killed = false;
    let grace: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killed = true;
      void killTree(child.pid);
      // A descendant that escaped could hold the pipes open: give up on them after a while.
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(null);
      }, KILL_GRACE_MS);
    };
    let done = false;
    const finish = (exitCode: number | null) => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(grace);
      cmd.signal.removeEventListener('abort', onAbort);
      stderr.end();
      stdoutLines.end();
      if (killed) {
        reject(abortedError(cmd));
      } else {
        resolve({ exitCode, stdout, tail });
      }
    };
    cmd.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err: NodeJS.ErrnoException) => {
      done = true;
      clearTimeout(grace);
      cmd.signal.removeEventListener('abort', onAbort);
      reject(
        err.code === 'ENOENT'
          ? internal('build.tool_missing', `${cmd.command} is not installed on this server.`, {
              tool: cmd.command,
            })
          : err,
      );
    });
    child.on('close', (code) => finish(code));
  });
}

/** Replaces every secret in a text. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 3) {
      out = out.split(secret).join('[redacted]');
    }
  }
  return out;
}

/** How many times `killTree` looks for more descendants at most. */
const MAX_TREE_LOOKS = 64;

/**
 * Kills a process, its process group and every descendant (found through /proc), stopping them
 * first so none can fork or reparent away between the look and the kill.
 */
export async function killTree(pid: number | undefined): Promise<void> {
  if (pid === undefined) {
    return;
  }
  const seen = new Set<number>([pid]);
  signalGroup(pid, 'SIGSTOP');
  // Until a look finds nobody new: buildah's RUN step sits five levels down (buildah, its chroot
  // runtime and exec, the shell, the command), deeper with the partner's own children. Every
  // process found is stopped, so the tree cannot outgrow the looks; the bound is for a fork bomb.
  for (let round = 0; round < MAX_TREE_LOOKS; round++) {
    const found = await descendants(seen);
    if (found.length === 0) {
      break;
    }
    for (const p of found) {
      seen.add(p);
      signal(p, 'SIGSTOP');
    }
  }
  signalGroup(pid, 'SIGKILL');
  for (const p of seen) {
    signal(p, 'SIGKILL');
  }
}

function abortedError(cmd: ToolCommand): AppError {
  return new AppError(ABORTED, `${cmd.command} was stopped.`, {
    status: 500,
    cause: cmd.signal.reason,
  });
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  signal(-pid, sig);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Processes whose parent is in `parents` and that are not in it yet. */
async function descendants(parents: ReadonlySet<number>): Promise<number[]> {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found; // not Linux: the process group is all there is
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const pid = Number(entry);
    if (parents.has(pid)) {
      continue;
    }
    const ppid = await parentOf(pid);
    if (ppid !== undefined && parents.has(ppid)) {
      found.push(pid);
    }
  }
  return found;
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    return ppid === undefined ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

/** Splits a byte stream into lines (`\n` or `\r`), redacting each before it is emitted. */
class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #secrets: readonly string[];
  readonly #emit: (line: string) => void;
  #partial = '';

  constructor(secrets: readonly string[], emit: (line: string) => void) {
    this.#secrets = secrets;
    this.#emit = emit;
  }

  push(chunk: Buffer): void {
    this.#take(this.#decoder.write(chunk));
  }

  end(): void {
    this.#take(this.#decoder.end());
    if (this.#partial !== '') {
      this.#emit(redact(this.#partial, this.#secrets));
      this.#partial = '';
    }
  }

  #take(text: string): void {
    const parts = (this.#partial + text).split(/\r\n|\n|\r/);
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      this.#emit(redact(line, this.#secrets));
    }
    if (this.#partial.length > MAX_LINE) {
      // Emit all but the end, where the start of a secret could wait for the next chunk.
      const redacted = redact(this.#partial, this.#secrets);
      const cut = redacted.length - Math.max(0, ...this.#secrets.map((s) => s.length));
      this.#emit(redacted.slice(0, cut));
      this.#partial = redacted.slice(cut);
    }
  }
}
