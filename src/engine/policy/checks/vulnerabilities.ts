/** free_of_critical_vulnerabilities: no missing Critical or Important fix. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { error, fail, listSome, pass } from './helpers.js';

/** Runs the vulnerability check on the matcher's report. */
export function checkVulnerabilities(ctx: CheckContext): CheckOutcome {
  if (ctx.vulns.status === 'unavailable') {
    return error(ctx.vulns.message);
  }
  const serious = ctx.vulns.report.vulnerabilities.filter(
    (v) => v.severity === 'Critical' || v.severity === 'Important',
  );
  if (serious.length > 0) {
    return fail(
      `${serious.length} Critical/Important fix(es) missing: ${listSome(
        serious.map((v) => `${v.id} ${v.package} ${v.installed} → ${v.fixed} (${v.advisory})`),
        3,
      )}`,
      'rebuild on the latest base image and apply security updates: RUN yum -y update-minimal --security --sec-severity=Important --sec-severity=Critical',
    );
  }
  return pass('no Critical or Important fix is missing');
}
