/** Running untrusted work in child processes with limits, and the temporary directories it uses. */
export {
  runInChild,
  type RunOptions,
  type RunOutcome,
  type RunStats,
  type SandboxLimits,
} from './child-process.js';
export { childEntry, type ChildEntry } from './entry.js';
export { SpareChildren } from './spares.js';
export { serveTask, type ThrownError } from './task.js';
export { makeOwnedTempDir, removeStaleTempDirs } from './temp-dirs.js';
