/**
 * Child entry of the sandbox tests: does what the request asks, well or badly.
 */
import { getPriority } from 'node:os';
import { unprocessable } from '../errors.js';
import { serveTask } from './task.js';

/** What the test asks the child to do. */
export type SampleRequest =
  | { readonly do: 'echo'; readonly value: unknown }
  | { readonly do: 'pid' }
  | { readonly do: 'env'; readonly names: readonly string[] }
  | { readonly do: 'priority' }
  | { readonly do: 'spin' }
  | { readonly do: 'allocate'; readonly mb: number }
  | { readonly do: 'heap' }
  | { readonly do: 'throw' }
  | { readonly do: 'exit'; readonly code: number };

const held: unknown[] = [];

serveTask(async (request: SampleRequest): Promise<unknown> => {
  switch (request.do) {
    case 'echo':
      return { echoed: request.value };
    case 'pid':
      return { pid: process.pid };
    case 'priority':
      return { niceness: getPriority() };
    case 'env':
      return Object.fromEntries(request.names.map((name) => [name, process.env[name] ?? null]));
    case 'spin':
      for (;;) {
        // A hostile input that never yields.
      }
    case 'allocate':
      // Buffers live outside the V8 heap: only the resident-memory check stops them.
      for (let i = 0; i < request.mb; i += 1) {
        held.push(Buffer.alloc(1024 * 1024, 1));
        await new Promise((r) => setImmediate(r));
      }
      return { held: held.length };
    case 'heap':
      for (;;) {
        held.push(Array.from({ length: 1024 }, (_, i) => ({ i })));
      }
    case 'throw':
      throw unprocessable('sample.refused', 'the sample refused');
    case 'exit':
      process.stderr.write('about to exit\n');
      process.exit(request.code);
  }
});
