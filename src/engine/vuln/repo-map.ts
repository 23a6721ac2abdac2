/** Reading Red Hat's repository-to-CPE mapping (content set → product CPEs). */
import { invalid } from '../../platform/errors.js';
import { prop } from '../../platform/json.js';

/**
 * Parses either shape of the mapping: Red Hat's `{"data": {repo: {"cpes": [...]}}}` or the
 * flattened `{repo: [cpe, ...]}`.
 * @throws AppError `vulndb.mapping_invalid` when it is neither.
 */
export function parseRepositoryMap(json: unknown): Map<string, string[]> {
  const data = prop(json, 'data');
  const root = data !== undefined ? data : json;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw invalid('vulndb.mapping_invalid', 'repository-to-CPE mapping is not a JSON object');
  }
  const map = new Map<string, string[]>();
  for (const [repo, value] of Object.entries(root)) {
    const list = Array.isArray(value) ? value : prop(value, 'cpes');
    if (!Array.isArray(list)) {
      throw invalid(
        'vulndb.mapping_invalid',
        `repository-to-CPE mapping: entry ${JSON.stringify(repo)} has no CPE list`,
      );
    }
    map.set(
      repo,
      list.filter((c): c is string => typeof c === 'string' && c.startsWith('cpe:')),
    );
  }
  return map;
}

/** True when parsed JSON looks like a repository mapping rather than a CSAF document. */
export function isRepositoryMap(json: unknown): boolean {
  if (prop(json, 'document') !== undefined) {
    return false;
  }
  const data = prop(json, 'data');
  const root = data !== undefined ? data : json;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    return false;
  }
  const values: unknown[] = Object.values(root);
  const first = values[0];
  return Array.isArray(first) || Array.isArray(prop(first, 'cpes'));
}

/** True for Red Hat's `nvr-to-cpe.json` (keys are package NVRAs), which is not a repository map. */
export function isNvrMap(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || 'data' in json) {
    return false;
  }
  const first = Object.keys(json)[0];
  return (
    first !== undefined &&
    /-[^-]+-[^-]+\.(x86_64|noarch|i686|aarch64|ppc64le|s390x|src)$/.test(first)
  );
}
