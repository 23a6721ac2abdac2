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
  /** Fail (exit 1) on warnings too. */
  strict?: boolean;
}

/**
 * Reads and lints the Dockerfile; exit code 1 when a finding is an error, or with `strict` when
 * there is any finding at all.
 */
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
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const strict = options.strict === true;
  const exitCode = errors > 0 || (strict && warnings > 0) ? EXIT.failed : EXIT.ok;
  if (format === 'json') {
    return {
      output: JSON.stringify({ file, policy, strict, findings }, null, 2) + '\n',
      exitCode,
      findings,
    };
  }
  const lines = findings.map(
    (f) =>
      `${file}:${f.line}  ${f.severity.padEnd(7)}  ${f.assessment}  ${f.message}\n    fix: ${f.suggestion}`,
  );
  if (findings.length === 0) {
    lines.push(`${file}: no predicted failures`);
  } else {
    const note =
      warnings > 0 && !strict && errors === 0 ? ' (warnings fail only with --strict)' : '';
    lines.push(`${errors} error(s), ${warnings} warning(s)${note}`);
  }
  return { output: lines.join('\n') + '\n', exitCode, findings };
}
