/**
 * A read stream of a file descriptor that, piped into an HTTP response, sends the file through
 * two buffers it reuses instead of a new buffer per read. Serving layers is the registry's
 * busiest path: a fresh 1 MiB buffer per read is gigabytes of short-lived memory under load,
 * which V8 answers with full garbage collections on the thread that also answers every other
 * request. A buffer is reused only once the response's socket has taken all of it (the write's
 * callback), so the bytes sent never change under the socket.
 *
 * Read any other way — `on('data')`, async iteration, or piped into anything but a response,
 * whose writes may keep a reference to a chunk after their callback — it is an ordinary stream
 * with a new buffer per read.
 */
import { close, read } from 'node:fs';
import { ServerResponse } from 'node:http';
import { Readable, type Writable } from 'node:stream';

/** Where to read: the whole file from `start`, or to `end` (inclusive). */
export interface FdRange {
  readonly start: number;
  /** Last byte to read (inclusive). */
  readonly end: number;
}

/** A readable stream of `range` of the open file `fd`, which it closes when it ends or fails. */
export class FdReadStream extends Readable {
  private readonly fd: number;
  private readonly chunkBytes: number;
  private position: number;
  private readonly lastByte: number;
  private pumping = false;
  /** The read in flight, if any: the descriptor is closed only after it. */
  private io: Promise<unknown> | undefined;

  constructor(fd: number, range: FdRange, chunkBytes: number, signal?: AbortSignal) {
    super({ highWaterMark: chunkBytes, ...(signal === undefined ? {} : { signal }) });
    this.fd = fd;
    this.chunkBytes = chunkBytes;
    this.position = range.start;
    this.lastByte = range.end;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (!(destination instanceof ServerResponse) || this.pumping || this.readableFlowing) {
      return super.pipe(destination, options);
    }
    this.pumping = true;
    void this.pump(destination, options?.end !== false);
    return destination;
  }

  /** Reads into `buffer` at `position`; the descriptor stays open until it answers. */
  private readAt(buffer: Buffer, length: number, position: number): Promise<number> {
    const io = new Promise<number>((resolve, reject) => {
      read(this.fd, buffer, 0, length, position, (err, bytesRead) =>
        err === null ? resolve(bytesRead) : reject(err),
      );
    });
    this.io = io.catch(() => undefined);
    return io;
  }

  /** Ordinary reads: a new buffer each. */
  override _read(size: number): void {
    const length = Math.min(Math.max(size, this.chunkBytes), this.lastByte - this.position + 1);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(length);
    this.readAt(buffer, length, this.position).then(
      (n) => {
        this.position += n;
        this.push(n === 0 ? null : buffer.subarray(0, n));
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  /** Reads ahead into one buffer while the response sends the other. */
  private async pump(response: Writable, endResponse: boolean): Promise<void> {
    const buffers = [Buffer.allocUnsafe(this.chunkBytes), Buffer.allocUnsafe(this.chunkBytes)];
    // As `pipe` does: a failed or closed response stops the reading (and closes the file).
    const stop = (err?: Error) => {
      if (!this.destroyed) {
        this.destroy(err);
      }
    };
    const onError = (err: Error) => stop(err);
    const onClose = () => stop();
    response.on('error', onError);
    response.on('close', onClose);
    // Settles when the socket took `chunk`, or when this stream is destroyed (the response
    // closed: its pending write may never call back).
    const written = (chunk: Buffer) =>
      new Promise<void>((resolve, reject) => {
        const gone = () => resolve();
        this.once('close', gone);
        response.write(chunk, (err) => {
          this.off('close', gone);
          if (err) {
            reject(err);
          } else {
            resolve();
          }
        });
      });
    const next = (buffer: Buffer): Promise<Buffer> => {
      const length = Math.min(this.chunkBytes, this.lastByte - this.position + 1);
      if (length <= 0 || this.destroyed) {
        return Promise.resolve(buffer.subarray(0, 0));
      }
      const position = this.position;
      this.position += length;
      return this.readAt(buffer, length, position).then((n) => {
        if (n < length) {
          this.position = this.lastByte + 1; // The file is shorter than it said: send what it has.
        }
        return buffer.subarray(0, n);
      });
    };
    try {
      let turn = 0;
      let reading = next(buffers[0]!);
      for (;;) {
        const chunk = await reading;
        if (chunk.length === 0 || this.destroyed || response.destroyed) {
          break;
        }
        turn ^= 1;
        reading = next(buffers[turn]!);
        // The write's callback comes once the socket holds all of `chunk`: its buffer is free.
        await written(chunk);
      }
      // Let the stream end as a piped one does, for whoever waits for its 'end'.
      if (!this.destroyed) {
        this.push(null);
        this.resume();
        if (endResponse) {
          response.end();
        }
      }
    } catch (err) {
      stop(err as Error);
    } finally {
      response.off('error', onError);
      response.off('close', onClose);
    }
  }

  // Streams call this once, however often the stream is destroyed.
  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    void (this.io ?? Promise.resolve()).then(() =>
      close(this.fd, (closeErr) => callback(err ?? closeErr)),
    );
  }
}
