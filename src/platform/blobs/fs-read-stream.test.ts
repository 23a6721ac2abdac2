/**
 * FdReadStream: the bytes a response gets through its two reused buffers are the file's, with a
 * slow client and many at once; a client that goes away closes the file; read any other way it
 * is an ordinary stream.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdReadStream } from './fs-read-stream.js';

/** Small chunks: a file of many chunks, each buffer reused hundreds of times. */
const CHUNK = 16 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('FdReadStream', () => {
  let dir: string;
  let file: string;
  let content: Buffer;
  let server: Server;
  let port: number;
  /** Descriptors the server opened, in order. */
  const opened: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-fd-read-'));
    file = join(dir, 'blob');
    // More than the kernel's socket buffers hold: a slow client keeps the server's writes waiting.
    content = randomBytes(24 * 1024 * 1024 + 123);
    writeFileSync(file, content);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const start = Number(url.searchParams.get('start') ?? 0);
      const end = Number(url.searchParams.get('end') ?? content.length - 1);
      // `unreadable`: a descriptor open for writing only, so that every read fails.
      const fd = openSync(file, url.searchParams.has('unreadable') ? 'a' : 'r');
      opened.push(fd);
      res.setHeader('Content-Length', end - start + 1);
      const stream = new FdReadStream(fd, { start, end }, CHUNK);
      // As Fastify does with a stream that fails once the headers are out.
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * GETs `path`; `slow` waits before reading and pauses now and then, so the kernel's buffers
   * fill and the server's writes wait on the socket.
   */
  function fetchBytes(path: string, slow = false): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 300);
        }
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (slow && chunks.length % 64 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 5);
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
  }

  it('should send the whole file, and a range, byte for byte to a slow client', async () => {
    expect(sha256(await fetchBytes('/', true))).toBe(sha256(content));
    const range = await fetchBytes('/?start=5000&end=20000000', true);
    expect(sha256(range)).toBe(sha256(content.subarray(5000, 20000001)));
  });

  it('should send the right bytes to many clients at once', async () => {
    const ranges = Array.from({ length: 8 }, (_, i) => [i * 1000, content.length - 1 - i * 777]);
    const got = await Promise.all(
      ranges.map(([s, e], i) => fetchBytes(`/?start=${s}&end=${e}`, i % 2 === 0)),
    );
    got.forEach((bytes, i) => {
      const [s, e] = ranges[i]!;
      expect(sha256(bytes)).toBe(sha256(content.subarray(s, e! + 1)));
    });
  });

  /** Waits (up to 5 s) until `fd` is closed; false if it stays open. */
  async function closedSoon(fd: number): Promise<boolean> {
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      try {
        fstatSync(fd);
      } catch {
        return true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  it('should cut the response short and close the file when a read fails', async () => {
    const failed = await new Promise<Error>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/?unreadable' }, (res) => {
        res.on('error', resolve);
        res.on('end', () => reject(new Error('the response ended as if complete')));
        res.resume();
      });
      req.on('error', resolve);
      setTimeout(() => reject(new Error('the response neither failed nor ended')), 5_000);
    });
    expect(failed.message).toMatch(/aborted|socket hang up|ECONNRESET/);
    expect(await closedSoon(opened.at(-1)!)).toBe(true);
  });

  it("should fail with the read's error and close the file when read another way", async () => {
    const fd = openSync(file, 'a');
    const reading = (async () => {
      for await (const chunk of new FdReadStream(fd, { start: 0, end: 1000 }, CHUNK)) {
        expect(chunk).toBeUndefined();
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'EBADF', syscall: 'read' });
    expect(await closedSoon(fd)).toBe(true);
  });

  it('should close the file when the client goes away mid-way', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no data')), 5_000);
    });
    expect(await closedSoon(opened.at(-1)!)).toBe(true);
  });

  it('should be an ordinary stream with a buffer per chunk when read another way', async () => {
    const fd = openSync(file, 'r');
    const chunks: Buffer[] = [];
    await pipeline(
      new FdReadStream(fd, { start: 10, end: content.length - 1 }, CHUNK),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(content.subarray(10)));
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });

  it('should end at the end of a file shorter than the range it was given', async () => {
    const short = join(dir, 'short');
    writeFileSync(short, content.subarray(0, 10_000));
    const fd = openSync(short, 'r');
    const chunks: Buffer[] = [];
    for await (const chunk of new FdReadStream(fd, { start: 0, end: 50_000 }, CHUNK)) {
      chunks.push(chunk as Buffer);
    }
    expect(Buffer.concat(chunks).length).toBe(10_000);
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });
});
