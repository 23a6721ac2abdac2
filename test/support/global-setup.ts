/** Runs once before the suite: reports which system tools are missing, so skips are explained. */
import { missingTools } from './tools.js';

export default function setup(): void {
  const missing = missingTools();
  if (missing.length > 0) {
    const mode =
      process.env.CI === 'true'
        ? 'CI=true: tests needing them will FAIL'
        : 'tests needing them are skipped';
    process.stderr.write(
      `\n[hallmark tests] missing system tools: ${missing.join(', ')} (${mode}; .ci/run installs them)\n\n`,
    );
  }
}
