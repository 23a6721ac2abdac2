import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { redact, runTool, TOOL_PATH } from './run-tool.js';

const ENV = { PATH: TOOL_PATH };

function collect() {
  const lines: string[] = [];
  return { lines, log: (text: string) => lines.push(text) };
}

/** Runs a small Node program as the tool. */
function node(program: string) {
  return { command: process.execPath, args: ['-e', program] };
}

describe('runTool', () => {
  it('should stream stdout and stderr line by line and report the exit code', async () => {
    const { lines, log } = collect();
    const result = await runTool({
      ...node(
        `process.stdout.write('one\\ntw'); setTimeout(() => { process.stdout.write('o\\n'); process.stderr.write('three\\r\\n'); process.exit(3); }, 50);`,
      ),
      env: ENV,
      signal: new AbortController().signal,
      log,
    });
    expect(result.exitCode).toBe(3);
    expect(lines.sort()).toEqual(['one\n', 'three\n', 'two\n']);
    expect([...result.tail].sort()).toEqual(['one', 'three', 'two']);
  });

  it('should replace secrets even when they arrive in pieces or inside a very long line', async () => {
    const { lines, log } = collect();
    const secret = 'tok-ABCDEF-123456';
    await runTool({
      ...node(
        `const w = (s) => new Promise((r) => process.stdout.write(s, r));
         (async () => { await w('token: tok-ABC'); await new Promise((r) => setTimeout(r, 30));
           await w('DEF-123456 end\\n'); await w('x'.repeat(70000 - 5)); await w('tok-ABCDEF');
           await new Promise((r) => setTimeout(r, 30)); await w('-123456\\n'); })();`,
      ),
      env: ENV,
      signal: new AbortController().signal,
      log,
      secrets: [secret],
    });
    const all = lines.join('');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('ABCDEF-1');
    expect(lines[0]).toBe('token: [redacted] end\n');
    expect(all.match(/\[redacted\]/g)).toHaveLength(2);
  });

  it('should capture stdout when asked, and pass only the given environment', async () => {
    const result = await runTool({
      command: 'env',
      args: [],
      env: { PATH: TOOL_PATH, ONLY: 'this' },
      signal: new AbortController().signal,
      captureStdout: true,
    });
    expect(result.stdout.trim().split('\n').sort()).toEqual([`ONLY=this`, `PATH=${TOOL_PATH}`]);
  });

  it('should kill the whole tree, setsid children included, when aborted', async () => {
    const stop = new AbortController();
    const marker = `${Date.now() % 100000}`;
    setTimeout(() => stop.abort(new Error('cancelled')), 300);
    const started = Date.now();
    await expect(
      runTool({
        command: 'sh',
        args: ['-c', `setsid sleep 1${marker} & sleep 2${marker} & wait`],
        env: ENV,
        signal: stop.signal,
      }),
    ).rejects.toMatchObject({ code: 'build.aborted' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await processesMentioning(`sleep 1${marker}`)).toEqual([]);
    expect(await processesMentioning(`sleep 2${marker}`)).toEqual([]);
  });

  it('should not start when already aborted, and say when the tool is missing', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(
      runTool({ command: 'true', args: [], env: ENV, signal: stop.signal }),
    ).rejects.toMatchObject({ code: 'build.aborted' });
    await expect(
      runTool({
        command: 'hallmark-no-such-tool',
        args: [],
        env: ENV,
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'build.tool_missing', status: 500 });
  });
});

describe('redact', () => {
  it('should replace every occurrence and ignore secrets too short to mean anything', () => {
    expect(redact('a secret and a secret', ['secret', 'a'])).toBe('a [redacted] and a [redacted]');
  });
});

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
