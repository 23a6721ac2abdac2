/**
 * Where a child entry script is and how Node runs it: the compiled `.js` beside the caller in
 * production, the `.ts` source through tsx when the caller itself runs from source (tests).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A script to fork and the Node options it needs. */
export interface ChildEntry {
  /** Absolute path of the script. */
  readonly script: string;
  /** Node options the script needs besides the sandbox's own (the TypeScript loader). */
  readonly execArgv: readonly string[];
  /**
   * Environment variables the child gets unless this process's environment sets them: defaults
   * an operator can still override.
   */
  readonly envDefaults?: Readonly<Record<string, string>>;
  /**
   * How much nicer than its parent the child runs (added to the parent's niceness, up to 19):
   * background work that must not slow the requests this machine answers. Where the system
   * refuses it, the child runs at the parent's.
   */
  readonly niceness?: number;
}

/**
 * The child script `name` (without extension) in the directory of the module whose
 * `import.meta.url` is `callerUrl`.
 * @example childEntry(import.meta.url, 'scan-process')
 */
export function childEntry(callerUrl: string, name: string): ChildEntry {
  if (callerUrl.endsWith('.ts')) {
    return {
      script: fileURLToPath(new URL(`./${name}.ts`, callerUrl)),
      execArgv: ['--import', tsxLoader()],
    };
  }
  return { script: fileURLToPath(new URL(`./${name}.js`, callerUrl)), execArgv: [] };
}

/** The tsx loader as a file URL, so the child finds it whatever its working directory. */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
