/** The human report: the guide's "Scan Details / Assessments" table, then how to fix failures. */
import type { ScanResult } from '../../engine/scan.js';
import type { CheckResult } from '../../engine/policy/types.js';

const MARK: Record<CheckResult['outcome'], string> = { pass: '✓', fail: '✗', error: '!' };

/** Shown instead of a manifest digest when the image has none (a legacy docker-archive). */
export const NO_MANIFEST =
  'none in the archive (a registry computes it on push, once the layers are compressed)';

/** Options for the text report. */
export interface TextOptions {
  /** Use ANSI colours (only on a terminal). */
  color: boolean;
  /** Terminal width for wrapping reasons (default 100). */
  width?: number;
}

/** Renders a scan result as text. */
export function toText(result: ScanResult, options: TextOptions): string {
  const paint = (code: number, s: string): string =>
    options.color ? `\u001b[${code}m${s}\u001b[0m` : s;
  const width = Math.max(60, options.width ?? 100);
  const nameWidth = Math.max(4, ...result.results.map((r) => r.name.length));
  const lines: string[] = [
    `Image            ${result.reference}`,
    `Manifest digest  ${result.manifestDigest ?? NO_MANIFEST}`,
    `Config digest    ${result.configDigest}`,
    `Layers           ${result.layers.length}`,
    `Packages         ${result.rpm.status === 'ok' ? String(result.packages.length) : result.rpm.status}`,
    `Policy           ${result.policy}`,
    '',
    'Assessments',
    `${'Name'.padEnd(nameWidth)}  Value  Reason`,
  ];
  for (const r of result.results) {
    const mark = MARK[r.outcome];
    const colored =
      r.outcome === 'pass' ? paint(32, mark) : r.required ? paint(31, mark) : paint(33, mark);
    const note = r.required ? '' : ' (advisory)';
    const reason = truncate(r.reason + note, width - nameWidth - 9);
    lines.push(`${r.name.padEnd(nameWidth)}  ${colored}      ${reason}`);
  }
  const problems = result.results.filter((r) => r.outcome !== 'pass');
  if (problems.length > 0) {
    lines.push('', 'How to fix');
    for (const r of problems) {
      lines.push(`${paint(1, r.name)}${r.required ? '' : ' (advisory)'}: ${r.reason}`);
      if (r.suggestion) {
        lines.push(`  fix:    ${r.suggestion}`);
      }
      lines.push(`  policy: ${r.url}`);
    }
  }
  const failed = result.results.filter((r) => r.required && r.outcome !== 'pass').length;
  const required = result.results.filter((r) => r.required).length;
  lines.push(
    '',
    result.passed
      ? paint(32, `PASSED: all ${required} required assessments passed`)
      : paint(31, `FAILED: ${failed} of ${required} required assessments did not pass`),
    '',
  );
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : oneLine.slice(0, Math.max(1, max - 1)) + '…';
}
