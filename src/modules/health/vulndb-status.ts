/**
 * Whether the server can decide `free_of_critical_vulnerabilities`, and what an operator does
 * when it cannot: the scan's reason, the warning of `serve` and `worker`, and `doctor`'s failure
 * all say it the same way.
 */
import { existsSync } from 'node:fs';
import {
  describeLocation,
  openVulnerabilityData,
  type VulnIndexLocation,
} from '../../engine/vuln/index.js';
import { AppError } from '../../platform/errors.js';

/** Where the server's operator gets the data (Red Hat's CSAF VEX directory). */
export const RED_HAT_VEX_URL = 'https://security.access.redhat.com/data/csaf/v2/vex/';

/** What an operator runs to give the server vulnerability data. */
export const VULNDB_COMMANDS = `\`hallmark vulndb sync ${RED_HAT_VEX_URL}\` (or \`hallmark vulndb import FILE…\`) run with the server's --config, --data-dir or --database-url`;

/** The scan's reason when the server has no vulnerability data (partners see it too). */
export const SERVER_NO_VULNDB_MESSAGE = `This Hallmark server has no vulnerability data yet, so this assessment cannot be decided; its operator loads the data with ${VULNDB_COMMANDS}.`;

/**
 * Why scans with the index `vulndb` would fail `free_of_critical_vulnerabilities` with an error
 * (no file or schema, an empty index, another schema version, PostgreSQL unreachable), with what
 * to do; undefined when the index serves.
 */
export async function vulndbProblem(vulndb: VulnIndexLocation): Promise<string | undefined> {
  const path = describeLocation(vulndb);
  const missing = `No vulnerability data at ${path}: every scan errors on free_of_critical_vulnerabilities and grades are Unknown; load it with ${VULNDB_COMMANDS}.`;
  if (vulndb.store === 'sqlite' && !existsSync(vulndb.file)) {
    return missing;
  }
  try {
    const data = await openVulnerabilityData(vulndb);
    if ('matcher' in data) {
      await data.matcher.close();
      return undefined;
    }
    return `${data.unavailable}; until then every scan errors on free_of_critical_vulnerabilities (load data with ${VULNDB_COMMANDS}).`;
  } catch (err) {
    if (err instanceof AppError && err.code === 'vulndb.not_found') {
      return missing;
    }
    return `The vulnerability data at ${path} cannot be read (${err instanceof Error ? err.message : String(err)}); rebuild it with ${VULNDB_COMMANDS}.`;
  }
}
