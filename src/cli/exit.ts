/** Exit codes of the `hallmark` binary and the error that carries one. */

/** 0: every required assessment passed; 1: one failed or errored; 2: unreadable image or bad arguments. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by commands to end the process with a code and a message (printed once, by bin.ts). */
export class ExitError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;

  constructor(exitCode: ExitCode, code: string, message: string) {
    super(message);
    this.name = 'ExitError';
    this.exitCode = exitCode;
    this.code = code;
  }
}
