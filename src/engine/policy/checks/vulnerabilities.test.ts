import { describe, expect, it } from 'vitest';
import type { Vulnerability, VulnerabilityReport } from '../../vuln/types.js';
import { makeContext } from '../test-context.js';
import { checkVulnerabilities } from './vulnerabilities.js';

function vuln(
  id: string,
  severity: Vulnerability['severity'],
  pkg = 'openssl-libs',
): Vulnerability {
  return {
    id,
    severity,
    package: pkg,
    installed: '1:3.0.7-27.el9',
    fixed: '1:3.0.7-28.el9',
    advisory: 'RHSA-2024:4546',
    released: '2024-07-15',
  };
}

function report(vulnerabilities: Vulnerability[]): { status: 'ok'; report: VulnerabilityReport } {
  return {
    status: 'ok',
    report: {
      vulnerabilities,
      health: { grade: 'A', nextDropDate: null, oldestCritical: null, oldestImportant: null },
    },
  };
}

describe('checkVulnerabilities', () => {
  it('should error with the given message when there is no data', () => {
    const ctx = makeContext({
      vulns: { status: 'unavailable', message: 'no vulnerability data: run hallmark vulndb sync' },
    });
    expect(checkVulnerabilities(ctx)).toEqual({
      outcome: 'error',
      reason: 'no vulnerability data: run hallmark vulndb sync',
      suggestion: '',
    });
  });

  it('should pass when only lower-rated fixes are missing', () => {
    const ctx = makeContext({ vulns: report([vuln('CVE-2024-1', 'Moderate')]) });
    expect(checkVulnerabilities(ctx)).toEqual({
      outcome: 'pass',
      reason: 'no Critical or Important fix is missing (1 lower-rated fix missing)',
    });
  });

  it('should fail naming Critical first, with package, fixed version and advisory', () => {
    const ctx = makeContext({
      vulns: report([
        vuln('CVE-2024-1', 'Important'),
        vuln('CVE-2024-2', 'Low'),
        vuln('CVE-2024-3', 'Critical', 'glibc'),
        vuln('CVE-2024-4', 'Important'),
        vuln('CVE-2024-5', 'Important'),
      ]),
    });
    expect(checkVulnerabilities(ctx)).toEqual({
      outcome: 'fail',
      reason:
        '4 Critical or Important fixes missing: CVE-2024-3 (Critical) in glibc 1:3.0.7-27.el9, fixed in 1:3.0.7-28.el9 by RHSA-2024:4546, CVE-2024-1 (Important) in openssl-libs 1:3.0.7-27.el9, fixed in 1:3.0.7-28.el9 by RHSA-2024:4546, CVE-2024-4 (Important) in openssl-libs 1:3.0.7-27.el9, fixed in 1:3.0.7-28.el9 by RHSA-2024:4546 and 1 more',
      suggestion:
        'rebuild on the latest base image and update the affected packages: RUN dnf -y update glibc openssl-libs && dnf clean all',
    });
  });
});
