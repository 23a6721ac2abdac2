/**
 * Crash safety: a child process stores blobs through the real FsBlobStore and is killed with
 * SIGKILL mid-write and mid-commit; afterwards the store holds only whole, correct blobs, every
 * acknowledged blob is there, and the interrupted upload can be resumed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrashWriterMessage } from './crash-writer.child.js';
import { FsBlobStore } from './fs-blob-store.js';

const SRC = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHILD = path.join(SRC, 'platform/blobs/crash-writer.child.ts');

let work: string;
let childScript: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'hallmark-crash-'));
  childScript = await transpileTree(CHILD, path.join(work, 'js'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Transpiles `entry` and the relative modules it imports into `outDir`; returns the entry's JS. */
async function transpileTree(entry: string, outDir: string): Promise<string> {
  const pending = [entry];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() ?? '';
    if (seen.has(file)) {
      continue;
    }
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(/from '(\.\.?\/[^']+)\.js'/g)) {
      pending.push(path.resolve(path.dirname(file), `${match[1] ?? ''}.ts`));
    }
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = path.join(outDir, path.relative(SRC, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(path.join(outDir, 'package.json'), '{"type":"module"}');
  return path.join(outDir, path.relative(SRC, entry)).replace(/\.ts$/, '.js');
}

interface Run {
  acknowledged: Map<string, number>;
  lastChunk: { id: string; offset: number } | undefined;
}

/** Runs the writer until `killWhen` says so, then SIGKILLs it and waits for it to die. */
function runUntil(storeDir: string, killWhen: (m: CrashWriterMessage) => boolean): Promise<Run> {
  const run: Run = { acknowledged: new Map(), lastChunk: undefined };
  const child: ChildProcess = fork(childScript, ['--crash-writer', storeDir], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (!isWriterMessage(message)) {
        return;
      }
      if (message.type === 'committed') {
        run.acknowledged.set(message.digest, message.size);
      } else if (message.type === 'chunk') {
        run.lastChunk = { id: message.id, offset: message.offset };
      }
      if (killWhen(message)) {
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') {
        resolve(run);
      } else {
        reject(new Error(`crash writer exited on its own (code ${_code})`));
      }
    });
  });
}

function isWriterMessage(value: unknown): value is CrashWriterMessage {
  return typeof value === 'object' && value !== null && 'type' in value && 'k' in value;
}

/** Every file under the blob tree is a whole blob whose content hashes to its name. */
async function expectOnlyWholeBlobs(storeDir: string): Promise<string[]> {
  const found: string[] = [];
  const root = path.join(storeDir, 'sha256');
  for (const fanout of await readdir(root).catch(() => [])) {
    for (const name of await readdir(path.join(root, fanout))) {
      const bytes = await readFile(path.join(root, fanout, name));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(name);
      expect(name.startsWith(fanout)).toBe(true);
      found.push(`sha256:${name}`);
    }
  }
  return found;
}

describe('FsBlobStore crash safety', () => {
  it('should keep acknowledged blobs and a resumable upload when killed mid-write', async () => {
    const storeDir = path.join(work, 'mid-write');
    const run = await runUntil(
      storeDir,
      (m) => m.type === 'chunk' && m.k === 3 && m.offset >= 48 * 1024,
    );
    const blobs = await expectOnlyWholeBlobs(storeDir);
    expect(blobs.sort()).toEqual([...run.acknowledged.keys()].sort());
    expect(blobs).toHaveLength(3);

    const last = run.lastChunk;
    expect(last).toBeDefined();
    const store = new FsBlobStore(storeDir);
    const writer = await store.resumeWrite(last?.id ?? '', last?.offset);
    const head = await readFile(path.join(storeDir, '_uploads', writer.id));
    const tail = Buffer.from('completed by the parent after the crash');
    await writer.append(tail);
    const digest = `sha256:${createHash('sha256')
      .update(Buffer.concat([head, tail]))
      .digest('hex')}`;
    expect(await writer.commit(digest)).toEqual({ digest, size: head.length + tail.length });
    expect(await expectOnlyWholeBlobs(storeDir)).toContain(digest);
  });

  it('should leave no partial blob when killed at any moment of a commit', async () => {
    for (let round = 0; round < 8; round += 1) {
      const storeDir = path.join(work, `commit-${round}`);
      // Kill right after the child announces a commit, at a different blob each round; the
      // kill lands somewhere in fsync, hash check, mkdir, rename or directory sync.
      const run = await runUntil(storeDir, (m) => m.type === 'committing' && m.k === round % 4);
      const blobs = await expectOnlyWholeBlobs(storeDir);
      for (const digest of run.acknowledged.keys()) {
        expect(blobs).toContain(digest);
      }
      expect(blobs.length - run.acknowledged.size).toBeLessThanOrEqual(1);
      const store = new FsBlobStore(storeDir);
      for (const digest of blobs) {
        expect(await store.has(digest)).toBe(true);
      }
    }
  });
});
