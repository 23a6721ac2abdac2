/** free_of_critical_vulnerabilities: no missing fix for a Critical or Important flaw. */
import type { Vulnerability } from '../../vuln/types.js';
import type { CheckContext, CheckOutcome } from '../types.js';
import { count, error, fail, listSome, pass } from './helpers.js';

function describe(v: Vulnerability): string {
  return `${v.id} (${v.severity}) in ${v.package} ${v.installed}, fixed in ${v.fixed} by ${v.advisory}`;
}

/** Runs the check on the matcher's report; without data it is an error, never a pass. */
export function checkVulnerabilities(ctx: CheckContext): CheckOutcome {
  if (ctx.vulns.status === 'unavailable') {
    return error(ctx.vulns.message);
  }
  const { vulnerabilities } = ctx.vulns.report;
  const serious = [
    ...vulnerabilities.filter((v) => v.severity === 'Critical'),
    ...vulnerabilities.filter((v) => v.severity === 'Important'),
  ];
  if (serious.length > 0) {
    const pkgs = [...new Set(serious.map((v) => v.package))];
    return fail(
      `${count(serious.length, 'Critical or Important fix', 'Critical or Important fixes')} missing: ${listSome(serious.map(describe), 3)}`,
      `rebuild on the latest base image and update the affected packages: RUN dnf -y update ${pkgs.join(' ')} && dnf clean all`,
    );
  }
  const others = vulnerabilities.length;
  return pass(
    others > 0
      ? `no Critical or Important fix is missing (${count(others, 'lower-rated fix', 'lower-rated fixes')} missing)`
      : 'no Critical or Important fix is missing',
  );
}
