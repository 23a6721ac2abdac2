/**
 * The child side of a sandboxed task: receives one request from the parent, runs the handler on
 * it, sends back its result or the error it threw, and exits.
 */
import { resourceUsage } from 'node:process';

/** An error thrown in the child, as plain data (classes do not cross processes). */
export interface ThrownError {
  readonly name: string;
  readonly message: string;
  /** `AppError`'s stable code and status, when the error had them. */
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly stack: string | undefined;
}

/** Messages between parent and child. */
export type ParentMessage = { readonly type: 'run'; readonly request: unknown };
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly result: unknown; readonly maxRssBytes: number }
  | { readonly type: 'threw'; readonly error: ThrownError; readonly maxRssBytes: number };

/**
 * Runs `handler` on the request the parent sends, once. Call it at the top level of a child
 * entry script, after its imports: the parent counts the child ready from here.
 */
export function serveTask<Req, Res>(handler: (request: Req) => Promise<Res>): void {
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('a sandboxed task must be started by runInChild (no IPC channel)');
  }
  // The parent went away: nobody wants the result any more.
  process.on('disconnect', () => process.exit(1));
  process.once('message', (message: ParentMessage) => {
    void handler(message.request as Req).then(
      (result) => finish({ type: 'done', result, maxRssBytes: maxRss() }),
      (err: unknown) => finish({ type: 'threw', error: toThrown(err), maxRssBytes: maxRss() }),
    );
  });
  send({ type: 'ready' } satisfies ChildMessage);

  function finish(message: ChildMessage): void {
    send?.(message, undefined, undefined, () => process.exit(0));
  }
}

function maxRss(): number {
  return resourceUsage().maxRSS * 1024;
}

function toThrown(err: unknown): ThrownError {
  if (!(err instanceof Error)) {
    return {
      name: 'Error',
      message: String(err),
      code: undefined,
      status: undefined,
      stack: undefined,
    };
  }
  const { code, status } = err as { code?: unknown; status?: unknown };
  return {
    name: err.name,
    message: err.message,
    code: typeof code === 'string' ? code : undefined,
    status: typeof status === 'number' ? status : undefined,
    stack: err.stack,
  };
}
