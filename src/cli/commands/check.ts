/** `hallmark check IMAGE`: scan an image locally with the certification policy. */
import { scanImage } from '../../engine/scan.js';
import type { ScanProgress, ScanResult, VulnerabilityData } from '../../engine/scan.js';
import { POLICY_IDS } from '../../engine/policy/index.js';
import { policyFileUrl } from '../../engine/policy/links.js';
import type { PolicyId } from '../../engine/policy/types.js';
import { EXIT, ExitError } from '../exit.js';
import type { ExitCode } from '../exit.js';
import { toJsonReport } from '../../engine/report.js';
import { toJunit } from '../output/junit.js';
import { toText } from '../output/text.js';

/** `docs/policy/` of this installation (dist/cli/commands or src/cli/commands → the root). */
const POLICY_DOCS = new URL('../../../docs/policy/', import.meta.url);

/** The reason a check without vulnerability data gives. */
export const NO_VULNDB_MESSAGE =
  'no vulnerability data: pass --vulndb FILE with an index built by `hallmark vulndb import` from Red Hat CSAF VEX files';

/** Output formats of `check`. */
export const CHECK_OUTPUTS = ['text', 'json', 'junit'] as const;
export type CheckOutput = (typeof CHECK_OUTPUTS)[number];

/** Raw options as the argument parser hands them over (strings, unvalidated). */
export interface CheckOptions {
  policy?: string;
  output?: string;
  vulndb?: string;
  creds?: string;
  tlsVerify?: string | boolean;
  platform?: string;
  advisory?: string;
  color?: boolean;
  onProgress?: (p: ScanProgress) => void;
}

/** What the command produced: the rendered report and the exit code. */
export interface CheckCommandResult {
  output: string;
  exitCode: ExitCode;
  result: ScanResult;
}

/**
 * Runs the check and renders it.
 * @throws ExitError(2) for bad arguments; ImageReadError when the image cannot be read.
 */
export async function check(image: string, options: CheckOptions): Promise<CheckCommandResult> {
  const policy = parsePolicy(options.policy ?? 'connect-2018');
  const output = parseOutput(options.output ?? 'text');
  const vulns = await openVulns(options.vulndb);
  const scanned = await scanImage(image, {
    policy,
    vulns,
    tlsVerify: parseBoolean(options.tlsVerify ?? true, '--tls-verify'),
    ...(options.creds ? { creds: parseCreds(options.creds) } : {}),
    ...(options.platform ? { platform: parsePlatform(options.platform) } : {}),
    ...(options.advisory
      ? { policyOptions: { advisory: new Set(splitList(options.advisory)) } }
      : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  // Offline, the policy text is the copy installed with Hallmark (the package ships docs/policy).
  const result: ScanResult = {
    ...scanned,
    results: scanned.results.map((r) => ({ ...r, url: policyFileUrl(r.url, POLICY_DOCS) })),
  };
  const exitCode = result.passed ? EXIT.ok : EXIT.failed;
  switch (output) {
    case 'json':
      return { output: JSON.stringify(toJsonReport(result), null, 2) + '\n', exitCode, result };
    case 'junit':
      return { output: toJunit(result), exitCode, result };
    case 'text':
      return { output: toText(result, { color: options.color ?? false }), exitCode, result };
  }
}

/**
 * The vulnerability data of `--vulndb`. The vulnerability engine is loaded only then: its module
 * brings the importer and the HTTP client of `vulndb sync` too, memory a check without data
 * need not hold.
 */
async function openVulns(file: string | undefined): Promise<VulnerabilityData> {
  if (!file) {
    return { unavailable: NO_VULNDB_MESSAGE };
  }
  const { openVulnerabilityData } = await import('../../engine/vuln/index.js');
  return openVulnerabilityData(file);
}

/** Splits a comma-separated list flag, dropping blanks. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parsePolicy(value: string): PolicyId {
  const found = POLICY_IDS.find((id) => id === value);
  if (!found) {
    throw new ExitError(
      EXIT.usage,
      'cli.policy_unknown',
      `unknown policy "${value}": use one of ${POLICY_IDS.join(', ')}`,
    );
  }
  return found;
}

function parseOutput(value: string): CheckOutput {
  const found = CHECK_OUTPUTS.find((o) => o === value);
  if (!found) {
    throw new ExitError(
      EXIT.usage,
      'cli.output_unknown',
      `unknown output "${value}": use one of ${CHECK_OUTPUTS.join(', ')}`,
    );
  }
  return found;
}

/** Parses `true`/`false` flag values the way skopeo accepts them. */
export function parseBoolean(value: string | boolean, flag: string): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  const v = value.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) {
    return true;
  }
  if (['false', '0', 'no'].includes(v)) {
    return false;
  }
  throw new ExitError(
    EXIT.usage,
    'cli.boolean_invalid',
    `${flag} takes true or false, not "${value}"`,
  );
}

/** Parses `USER:PASS` (the password may contain colons). */
export function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) {
    throw new ExitError(
      EXIT.usage,
      'cli.creds_invalid',
      '--creds takes USER:PASSWORD (the user name may not be empty)',
    );
  }
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** Parses `OS/ARCH[/VARIANT]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(value: string): {
  os: string;
  architecture: string;
  variant?: string;
} {
  const parts = value.split('/');
  const [os, architecture, variant] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !os ||
    !architecture ||
    (parts.length === 3 && !variant)
  ) {
    throw new ExitError(
      EXIT.usage,
      'cli.platform_invalid',
      `--platform takes OS/ARCH[/VARIANT] such as linux/amd64, not "${value}"`,
    );
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}
