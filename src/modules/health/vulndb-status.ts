/**
 * Whether the server can decide `free_of_critical_vulnerabilities`, and what an operator does
 * when it cannot: the scan's reason, the warning of `serve` and `worker`, and `doctor`'s failure
 * all say it the same way.
 */
import { existsSync } from 'node:fs';
import { openVulnerabilityData } from '../../engine/vuln/index.js';

/** Where the server's operator gets the data (Red Hat's CSAF VEX directory). */
export const RED_HAT_VEX_URL = 'https://security.access.redhat.com/data/csaf/v2/vex/';

/** What an operator runs to give the server vulnerability data. */
export const VULNDB_COMMANDS = `\`hallmark vulndb sync ${RED_HAT_VEX_URL}\` (or \`hallmark vulndb import FILE…\`) run with the server's --data-dir or --config`;

/** The scan's reason when the server has no vulnerability data (partners see it too). */
export const SERVER_NO_VULNDB_MESSAGE = `This Hallmark server has no vulnerability data yet, so this assessment cannot be decided; its operator loads the data with ${VULNDB_COMMANDS}.`;

/**
 * Why scans with the index at `path` would fail `free_of_critical_vulnerabilities` with an error
 * (no file, an empty index, another schema), with what to do; undefined when the index serves.
 */
export async function vulndbProblem(path: string): Promise<string | undefined> {
  if (!existsSync(path)) {
    return `No vulnerability data at ${path}: every scan errors on free_of_critical_vulnerabilities and grades are Unknown; load it with ${VULNDB_COMMANDS}.`;
  }
  try {
    const data = await openVulnerabilityData(path);
    if ('matcher' in data) {
      await data.matcher.close();
      return undefined;
    }
    return `${data.unavailable}; until then every scan errors on free_of_critical_vulnerabilities (load data with ${VULNDB_COMMANDS}).`;
  } catch (err) {
    return `The vulnerability data at ${path} cannot be read (${err instanceof Error ? err.message : String(err)}); rebuild it with ${VULNDB_COMMANDS}.`;
  }
}
