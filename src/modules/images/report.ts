/**
 * Reading a stored scan back: `images.result` holds the engine's JSON report (`JsonReport`), or
 * `{error: {code, message}}` when the image could not be read; `images.packages` the package list.
 * Stored documents are checked field by field, so an old or damaged row never breaks a response.
 */
import { policyPagePath } from '../../engine/policy/links.js';
import type { ReportedPackage } from '../../engine/report.js';
import { readJson } from '../../platform/db/index.js';

/** A scan as the API shows it. */
export interface StoredScan {
  policy: string | null;
  /** The zone whose rules judged the image, as it was at scan time. */
  zone: { id: string; name: string; settingsVersion: number } | null;
  passed: boolean | null;
  labels: Record<string, string>;
  user: string | null;
  assessments: {
    name: string;
    outcome: string;
    required: boolean;
    reason: string;
    suggestion: string;
    url: string;
  }[];
  vulnerabilities:
    | {
        id: string;
        severity: string;
        package: string;
        installed: string;
        fixed: string;
        advisory: string;
        released: string;
      }[]
    | null;
  health: {
    grade: string;
    nextDropDate: string | null;
    oldestCritical: string | null;
    oldestImportant: string | null;
  } | null;
  error: { code: string; message: string } | null;
}

/** An installed package, as a stored scan lists it (the JSON report's shape). */
export type StoredPackage = ReportedPackage;

type Doc = Record<string, unknown>;

const isDoc = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const docs = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter(isDoc) : []);

/** Parses `images.result`. */
export function readScan(raw: unknown): StoredScan {
  const doc = raw === null || raw === undefined ? null : readJson(raw);
  const empty: StoredScan = {
    policy: null,
    zone: null,
    passed: null,
    labels: {},
    user: null,
    assessments: [],
    vulnerabilities: null,
    health: null,
    error: null,
  };
  if (!isDoc(doc)) {
    return empty;
  }
  if (isDoc(doc.error)) {
    return { ...empty, error: { code: str(doc.error.code), message: str(doc.error.message) } };
  }
  const image = isDoc(doc.image) ? doc.image : {};
  const labels = isDoc(image.labels)
    ? Object.fromEntries(
        Object.entries(image.labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
      )
    : {};
  const health = isDoc(doc.health) ? doc.health : null;
  const zone = isDoc(doc.zone) ? doc.zone : null;
  return {
    policy: strOrNull(doc.policy),
    zone:
      zone === null
        ? null
        : {
            id: str(zone.id),
            name: str(zone.name),
            settingsVersion: typeof zone.settingsVersion === 'number' ? zone.settingsVersion : 0,
          },
    passed: typeof doc.passed === 'boolean' ? doc.passed : null,
    labels,
    user: strOrNull(image.user),
    assessments: docs(doc.results).map((r) => ({
      name: str(r.name),
      outcome: str(r.outcome),
      required: r.required === true,
      reason: str(r.reason),
      suggestion: str(r.suggestion),
      url: policyPagePath(str(r.url)),
    })),
    vulnerabilities: Array.isArray(doc.vulnerabilities)
      ? docs(doc.vulnerabilities).map((v) => ({
          id: str(v.id),
          severity: str(v.severity),
          package: str(v.package),
          installed: str(v.installed),
          fixed: str(v.fixed),
          advisory: str(v.advisory),
          released: str(v.released),
        }))
      : null,
    health:
      health === null
        ? null
        : {
            grade: str(health.grade),
            nextDropDate: strOrNull(health.nextDropDate),
            oldestCritical: strOrNull(health.oldestCritical),
            oldestImportant: strOrNull(health.oldestImportant),
          },
    error: null,
  };
}

/** Parses `images.packages`. */
export function readPackages(raw: unknown): StoredPackage[] {
  const doc = raw === null || raw === undefined ? null : readJson(raw);
  return docs(doc).map((p) => ({
    name: str(p.name),
    epoch: typeof p.epoch === 'number' ? p.epoch : null,
    version: str(p.version),
    release: str(p.release),
    arch: strOrNull(p.arch),
    sourcerpm: strOrNull(p.sourcerpm),
    vendor: strOrNull(p.vendor),
  }));
}

/** Parses `image_scans.assessments`: `[{ name, outcome, required }]`. */
export function readAssessments(
  raw: unknown,
): { name: string; outcome: string; required: boolean }[] {
  const doc = raw === null || raw === undefined ? null : readJson(raw);
  return docs(doc).map((a) => ({
    name: str(a.name),
    outcome: str(a.outcome),
    required: a.required === true,
  }));
}

/** Parses `image_scans.error`: `{ code, message }` or null. */
export function readError(raw: unknown): { code: string; message: string } | null {
  const doc = raw === null || raw === undefined ? null : readJson(raw);
  return isDoc(doc) ? { code: str(doc.code), message: str(doc.message) } : null;
}
