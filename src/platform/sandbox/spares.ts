/**
 * Children forked ahead of need. Starting Node and loading a task's modules takes a few hundred
 * milliseconds on an idle machine and seconds on a busy one; with a spare, a task's child has
 * done that before the task comes. A spare is a fresh process like any other: it runs one task
 * and exits, and nothing of one task reaches another. An idle spare holds no reference on the
 * parent's event loop, and exits with the parent (its IPC channel closes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';
import type { ChildEntry } from './entry.js';
import type { ChildMessage } from './task.js';

/** A child handed to a task: whether it already said it is ready. */
export interface StartedChild {
  readonly child: ChildProcess;
  /** True when the child's `ready` came before the task took it (nothing more will come). */
  readonly ready: boolean;
}

interface Spare {
  readonly child: ChildProcess;
  ready: boolean;
  /** Removes the spare's own listeners when a task takes it. */
  readonly detach: () => void;
}

/** Forks `entry` for one task, with the V8 heap capped at the task's memory limit. */
export function forkChild(entry: ChildEntry, memoryLimitMb: number): ChildProcess {
  const child = fork(entry.script, [], {
    execArgv: [...entry.execArgv, `--max-old-space-size=${memoryLimitMb}`],
    env: { ...entry.envDefaults, ...process.env },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  if (entry.niceness !== undefined && child.pid !== undefined) {
    try {
      setPriority(child.pid, Math.min(19, getPriority() + entry.niceness));
    } catch {
      // Not permitted or not supported here: the child runs at the parent's priority.
    }
  }
  return child;
}

/** At most one spare child per entry script and memory limit. */
export class SpareChildren {
  private readonly spares = new Map<string, Spare>();

  /** The spare for `entry`, taken (the caller owns it now), or undefined when there is none. */
  take(entry: ChildEntry, memoryLimitMb: number): StartedChild | undefined {
    const key = keyOf(entry, memoryLimitMb);
    const spare = this.spares.get(key);
    if (spare === undefined) {
      return undefined;
    }
    this.spares.delete(key);
    spare.detach();
    if (spare.child.exitCode !== null || spare.child.signalCode !== null) {
      return undefined;
    }
    holdParent(spare.child, true);
    return { child: spare.child, ready: spare.ready };
  }

  /** Forks a spare for `entry` unless one is waiting. */
  prepare(entry: ChildEntry, memoryLimitMb: number): void {
    const key = keyOf(entry, memoryLimitMb);
    if (this.spares.has(key)) {
      return;
    }
    const child = forkChild(entry, memoryLimitMb);
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'ready') {
        spare.ready = true;
      }
    };
    const onError = () => child.kill('SIGKILL');
    const onExit = () => {
      if (this.spares.get(key) === spare) {
        this.spares.delete(key);
      }
    };
    const spare: Spare = {
      child,
      ready: false,
      detach: () => {
        child.off('message', onMessage);
        child.off('error', onError);
        child.off('exit', onExit);
      },
    };
    this.spares.set(key, spare);
    child.on('message', onMessage);
    child.on('error', onError);
    child.on('exit', onExit);
    // Idle, it keeps nothing of the parent alive; stderr is read once a task takes it.
    holdParent(child, false);
  }

  /** True when a spare of `entry` waits, already loaded. */
  hasReady(entry: ChildEntry, memoryLimitMb: number): boolean {
    return this.spares.get(keyOf(entry, memoryLimitMb))?.ready === true;
  }

  /** Kills the spares that wait. */
  close(): void {
    for (const spare of this.spares.values()) {
      spare.child.kill('SIGKILL');
    }
    this.spares.clear();
  }
}

/** Whether the child (its process, IPC channel and stderr pipe) keeps the parent running. */
function holdParent(child: ChildProcess, hold: boolean): void {
  const handles = [child, child.channel, child.stderr].filter(
    (h): h is NonNullable<typeof h> => h !== null && h !== undefined,
  );
  for (const handle of handles) {
    if ('ref' in handle && 'unref' in handle) {
      if (hold) {
        handle.ref();
      } else {
        handle.unref();
      }
    }
  }
}

function keyOf(entry: ChildEntry, memoryLimitMb: number): string {
  return JSON.stringify([
    entry.script,
    entry.execArgv,
    entry.envDefaults ?? {},
    entry.niceness ?? null,
    memoryLimitMb,
  ]);
}
