/** JUnit XML for CI systems: one test case per assessment; advisory failures are not failures. */
import type { ScanResult } from '../../engine/scan.js';

/** Escapes text for XML attributes and character data. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .split('')
    .filter(isXmlChar)
    .join('');
}

/** XML 1.0 cannot carry most control characters at all, even escaped. */
function isXmlChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Renders a scan result as a JUnit `<testsuites>` document. */
export function toJunit(result: ScanResult): string {
  const failures = result.results.filter((r) => r.required && r.outcome === 'fail').length;
  const errors = result.results.filter((r) => r.required && r.outcome === 'error').length;
  const suite = `hallmark ${result.policy} ${result.reference}`;
  const cases = result.results.map((r) => {
    const open = `    <testcase classname="hallmark.${xmlEscape(result.policy)}" name="${xmlEscape(r.name)}">`;
    const body = `${r.reason}${r.suggestion ? `\nFix: ${r.suggestion}` : ''}\nPolicy: ${r.url}`;
    if (r.outcome === 'pass') {
      return `${open}<system-out>${xmlEscape(r.reason)}</system-out></testcase>`;
    }
    if (!r.required) {
      return `${open}<system-out>${xmlEscape(`advisory ${r.outcome}: ${body}`)}</system-out></testcase>`;
    }
    const tag = r.outcome === 'fail' ? 'failure' : 'error';
    return `${open}\n      <${tag} message="${xmlEscape(r.reason)}" type="${xmlEscape(r.name)}">${xmlEscape(body)}</${tag}>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="hallmark" tests="${result.results.length}" failures="${failures}" errors="${errors}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${result.results.length}" failures="${failures}" errors="${errors}">`,
    '    <properties>',
    `      <property name="digest" value="${xmlEscape(result.digest)}"/>`,
    ...(result.manifestDigest === null
      ? []
      : [`      <property name="manifestDigest" value="${xmlEscape(result.manifestDigest)}"/>`]),
    `      <property name="configDigest" value="${xmlEscape(result.configDigest)}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
