/** `hallmark lint [Dockerfile]`: predict the assessments a Dockerfile will fail, before building. */
import { readFile } from 'node:fs/promises';
import { lintDockerfile } from '../../engine/lint/index.js';
import type { LintFinding } from '../../engine/lint/index.js';
import { POLICY_IDS } from '../../engine/policy/index.js';
import { EXIT, ExitError } from '../exit.js';
import type { ExitCode } from '../exit.js';

/** Raw options of `lint`. */
export interface LintOptions {
  policy?: string;
  output?: string;
}

/** Reads and lints the Dockerfile; exit code 1 when any finding is an error. */
export async function lint(
  file: string,
  options: LintOptions,
): Promise<{ output: string; exitCode: ExitCode; findings: LintFinding[] }> {
  const policy = POLICY_IDS.find((id) => id === (options.policy ?? 'connect-2018'));
  if (!policy) {
    throw new ExitError(
      EXIT.usage,
      'cli.policy_unknown',
      `unknown policy "${options.policy ?? ''}": use one of ${POLICY_IDS.join(', ')}`,
    );
  }
  const format = options.output ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new ExitError(
      EXIT.usage,
      'cli.output_unknown',
      `unknown output "${format}": use text or json`,
    );
  }
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ExitError(
      EXIT.usage,
      'cli.file_unreadable',
      `cannot read ${file}: ${err.code ?? err.message}`,
    );
  });
  const findings = lintDockerfile(text, { policy });
  const exitCode = findings.some((f) => f.severity === 'error') ? EXIT.failed : EXIT.ok;
  if (format === 'json') {
    return {
      output: JSON.stringify({ file, policy, findings }, null, 2) + '\n',
      exitCode,
      findings,
    };
  }
  const lines = findings.map(
    (f) =>
      `${file}:${f.line}  ${f.severity.padEnd(7)}  ${f.assessment}  ${f.message}\n    fix: ${f.suggestion}`,
  );
  lines.push(
    findings.length === 0 ? `${file}: no predicted failures` : `${findings.length} finding(s)`,
  );
  return { output: lines.join('\n') + '\n', exitCode, findings };
}
