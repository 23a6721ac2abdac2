/**
 * Shared machinery of the property-based fuzz tests (`*.fuzz.test.ts`, beside each parser).
 *
 * Every property says the same thing of a parser that takes untrusted bytes: any input either
 * parses or throws the parser's own typed error, within a time and memory budget per input.
 *
 * - Deterministic by default: a fixed seed, so CI runs the same inputs every time.
 *   `FUZZ_SEED=<n>` picks other inputs, `FUZZ_RUNS=<n>` sets every property's run count (e.g.
 *   100000 for a long local session), `FUZZ_PATH=<p>` replays one failing input (fast-check
 *   prints the seed and path of a counterexample; the watchdog prints them for a hang).
 *   `npx vitest run fuzz.test` runs the fuzz suite alone.
 * - Time: each call is measured and fails over {@link CALL_BUDGET_MS}. A synchronous parser that
 *   never returns cannot be interrupted in-process, so a watchdog thread kills the test process
 *   after {@link HANG_KILL_MS} of one call (vitest then fails the file), first printing which
 *   property and run hung and how to replay it.
 * - Memory: heap plus external (Buffer) memory may not grow by more than
 *   {@link CALL_BUDGET_BYTES} across one call.
 */
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { expect } from 'vitest';

/** The seed used when `FUZZ_SEED` is not set. */
export const DEFAULT_SEED = 20261205;
/** Longest one parser call may take (small inputs: real parsers need a few milliseconds). */
export const CALL_BUDGET_MS = 1000;
/** A call stuck this long is a hang: the watchdog kills the process. */
export const HANG_KILL_MS = 20_000;
/** Most memory one parser call may keep growing (inputs are at most a few MiB). */
export const CALL_BUDGET_BYTES = 64 * 2 ** 20;

function envInt(name: string): number | undefined {
  // Test-only knobs; the product's configuration never reads these.
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) {
    throw new Error(`${name}=${raw} is not an integer`);
  }
  return n;
}

/** The seed of this run (`FUZZ_SEED` or {@link DEFAULT_SEED}). */
export const FUZZ_SEED = envInt('FUZZ_SEED') ?? DEFAULT_SEED;

/** fast-check parameters: the seed, `runs` (or `FUZZ_RUNS`), and `FUZZ_PATH` to replay. */
export function fuzzParams<T>(runs: number): fc.Parameters<T> {
  const path = process.env.FUZZ_PATH;
  return {
    seed: FUZZ_SEED,
    numRuns: envInt('FUZZ_RUNS') ?? runs,
    ...(path ? { path } : {}),
    endOnFailure: true,
  };
}

/** Cell 0: deadline (ms since the epoch, 0 when idle); the rest: the label, NUL-terminated. */
const shared = new SharedArrayBuffer(8 + 1024);
const deadline = new Float64Array(shared, 0, 1);
const label = new Uint8Array(shared, 8);
let watchdog: Worker | undefined;

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const deadline = new Float64Array(workerData, 0, 1);
const label = new Uint8Array(workerData, 8);
setInterval(() => {
  const d = deadline[0];
  if (d !== 0 && Date.now() > d) {
    const end = label.indexOf(0);
    const text = Buffer.from(label.subarray(0, end < 0 ? label.length : end)).toString();
    writeSync(2, '\\nFUZZ HANG: ' + text + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 250);
`;

function arm(what: string): void {
  watchdog ??= new Worker(WATCHDOG, { eval: true, workerData: shared });
  watchdog.unref();
  label.fill(0);
  new TextEncoder().encodeInto(what.slice(0, 1000), label);
  deadline[0] = Date.now() + HANG_KILL_MS;
}

function disarm(): void {
  deadline[0] = 0;
}

function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Errors that only a bug throws: a wrong type, an out-of-range read, a stack overflow. */
function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;
}

/**
 * A predicate for the parser's documented errors: an instance of `type` none of whose causes is
 * a programming error (a parser that wraps everything it catches must not hide a crash).
 */
export function typedError(type: abstract new (...args: never[]) => Error) {
  return (err: unknown): boolean => {
    if (!(err instanceof type)) {
      return false;
    }
    for (let cause: unknown = err.cause, depth = 0; cause && depth < 10; depth++) {
      if (isProgrammingError(cause)) {
        return false;
      }
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    return true;
  };
}

/** How a call ended; counted so a property can show its generator reaches both outcomes. */
export type Outcome = 'parsed' | 'rejected';

/** Counts outcomes of one property and labels its runs for the watchdog. */
export class FuzzTarget {
  readonly counts: Record<Outcome, number> = { parsed: 0, rejected: 0 };
  private run = 0;

  /** The property, for messages. */
  readonly name: string;
  /** True for the errors the parser documents (its typed error class and codes). */
  private readonly typed: (err: unknown) => boolean;

  constructor(name: string, typed: (err: unknown) => boolean) {
    this.name = name;
    this.typed = typed;
  }

  /** Calls a synchronous parser once under the budgets; throws (fails the property) otherwise. */
  call(fn: () => unknown): Outcome {
    const before = this.start();
    let outcome: Outcome;
    try {
      fn();
      outcome = 'parsed';
    } catch (err) {
      outcome = this.rejected(err);
    } finally {
      disarm();
    }
    return this.finish(before, outcome);
  }

  /** The same for an asynchronous parser. */
  async callAsync(fn: () => Promise<unknown>): Promise<Outcome> {
    const before = this.start();
    let outcome: Outcome;
    try {
      await fn();
      outcome = 'parsed';
    } catch (err) {
      outcome = this.rejected(err);
    } finally {
      disarm();
    }
    return this.finish(before, outcome);
  }

  /** Asserts the generator produced inputs of both outcomes (else the property proves little). */
  expectBothOutcomes(): void {
    expect(this.counts.parsed, `${this.name}: inputs that parsed`).toBeGreaterThan(0);
    expect(this.counts.rejected, `${this.name}: inputs that were refused`).toBeGreaterThan(0);
  }

  private start(): { at: number; memory: number } {
    const replay = `FUZZ_SEED=${FUZZ_SEED} FUZZ_PATH=${this.run}`;
    arm(`${this.name}, run ${this.run} hung over ${HANG_KILL_MS} ms; replay with ${replay}`);
    this.run += 1;
    return { at: performance.now(), memory: memoryInUse() };
  }

  private rejected(err: unknown): Outcome {
    if (!this.typed(err)) {
      throw new Error(`${this.name}: untyped error ${describe(err)}`, { cause: err });
    }
    return 'rejected';
  }

  private finish(before: { at: number; memory: number }, outcome: Outcome): Outcome {
    const ms = performance.now() - before.at;
    if (ms > CALL_BUDGET_MS) {
      throw new Error(`${this.name}: one input took ${Math.round(ms)} ms (> ${CALL_BUDGET_MS})`);
    }
    const grown = memoryInUse() - before.memory;
    if (grown > CALL_BUDGET_BYTES) {
      throw new Error(`${this.name}: one input grew memory by ${grown} bytes`);
    }
    this.counts[outcome] += 1;
    return outcome;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  }
  return String(err);
}

/** Bytes with a few positions overwritten, removed or inserted: mutations of a real file. */
export function mutated(original: Buffer, maxEdits = 8): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), bytes: fc.constant(undefined) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    let buf = Buffer.from(original);
    for (const e of edits) {
      const at = buf.length === 0 ? 0 : e.at % buf.length;
      if (e.kind === 'set' && e.bytes) {
        Buffer.from(e.bytes).copy(buf, at);
      } else if (e.kind === 'cut') {
        buf = buf.subarray(0, at);
      } else if (e.bytes) {
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(e.bytes), buf.subarray(at)]);
      }
    }
    return buf;
  });
}

/** Interesting 32-bit values for header fields: edges, powers of two, small numbers. */
export const edgeU32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 7, 8, 15, 16, 63, 64, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000),
  fc.constantFrom(0xfffffff0, 0xffffffff, 0x0fffffff, 0x10000000),
  fc.nat({ max: 4096 }),
  fc.integer({ min: 0, max: 0xffffffff }),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (list of keys and indexes) in a JSON value, the root included. */
function jsonPaths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      jsonPaths(v, [...prefix, k], out);
    }
  }
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) {
    return value ?? null;
  }
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    node = (node as Record<string | number, Json>)[key] as Json;
  }
  const last = path[path.length - 1] as string | number;
  const parent = node as Record<string | number, Json>;
  if (value === undefined) {
    if (Array.isArray(parent)) {
      parent.splice(last as number, 1);
    } else {
      delete parent[last];
    }
  } else {
    parent[last] = value;
  }
  return root;
}

/** Values a hostile document puts where a parser expects something else. */
export const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    -1,
    1e308,
    -0,
    0.5,
    2 ** 53,
    '',
    '__proto__',
    'constructor',
    'sha256:',
    [],
    {},
    JSON.parse('{"__proto__":{"polluted":true}}') as Json,
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

/**
 * A real JSON document with up to `maxEdits` values replaced (by hostile values or copies of
 * other parts of itself) or deleted: inputs that get past the first checks of a parser.
 */
export function mutatedJson(template: Json, maxEdits = 4): fc.Arbitrary<Json> {
  const paths = jsonPaths(template);
  const edit = fc.record({
    path: fc.nat({ max: paths.length - 1 }),
    value: fc.option(hostileJson, { freq: 4, nil: undefined }),
  });
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    let doc = structuredClone(template);
    for (const e of edits) {
      const path = paths[e.path] ?? [];
      try {
        doc = setAt(doc, path, e.value);
      } catch {
        // An earlier edit removed or replaced this path's parent; skip this edit.
      }
    }
    return doc;
  });
}
