/**
 * A zone's staff-adjustable policy settings: how they are stored (null = the policy's default),
 * shown, and handed to the scanner as plain, serializable rules.
 */
import type { Kysely, Selectable } from 'kysely';
import { DEFAULT_POLICY_OPTIONS } from '../../engine/policy/index.js';
import type { PolicyId } from '../../engine/policy/types.js';
import type { DB } from '../../platform/db/index.js';
import type { ZonesTable } from './tables.js';
import { readJson, writeJson } from '../../platform/db/index.js';
import type { ZoneSettingsBody, ZoneSettingsSchema } from './schemas.js';
import type { z } from 'zod';

type ZoneRow = Selectable<ZonesTable>;
type ZoneSettingsView = z.infer<typeof ZoneSettingsSchema>;

/** The settings columns a change writes. */
interface SettingsColumns {
  max_layers?: number | null;
  approved_base_images?: string | null;
  ignored_paths?: string | null;
  prohibited_label_pattern?: string | null;
}

/** One approved base image. */
export interface ApprovedBaseImage {
  name: string;
  layers: string[];
}

/** What a scan of a zone's image applies: plain data, safe to pass to another thread. */
export interface ScanRules {
  readonly policy: PolicyId;
  /** Assessments whose failure does not fail the image. */
  readonly advisory: readonly string[];
  readonly maxLayers: number;
  readonly approvedBaseLayers: ReadonlyArray<readonly string[]>;
  readonly ignoredPaths: readonly string[];
  /** Source of a case-insensitive regular expression. */
  readonly prohibitedLabelPattern: string;
  /** The zone whose rules these are, and their version; null for a project outside any zone. */
  readonly zone: {
    readonly id: string;
    readonly name: string;
    readonly settingsVersion: number;
  } | null;
}

/** The rules of a project outside any zone: the server's configured policy with its defaults. */
export function defaultScanRules(policy: PolicyId): ScanRules {
  return {
    policy,
    advisory: [],
    maxLayers: DEFAULT_POLICY_OPTIONS.maxLayers,
    approvedBaseLayers: [],
    ignoredPaths: DEFAULT_POLICY_OPTIONS.ignoredPaths,
    prohibitedLabelPattern: DEFAULT_POLICY_OPTIONS.prohibitedLabelPattern.source,
    zone: null,
  };
}

/** The rules a zone's scans apply, or undefined when the zone does not exist. */
export async function zoneScanRules(
  db: Kysely<DB>,
  zoneId: string,
): Promise<ScanRules | undefined> {
  const row = await db.selectFrom('zones').selectAll().where('id', '=', zoneId).executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  const settings = zoneSettingsView(row);
  return {
    policy: row.policy,
    advisory: strings(readJson(row.advisory_checks)),
    maxLayers: settings.maxLayers,
    approvedBaseLayers: settings.approvedBaseImages.map((b) => b.layers),
    ignoredPaths: settings.rpmVerifyIgnoredPaths,
    prohibitedLabelPattern: settings.prohibitedLabelPattern,
    zone: { id: row.id, name: row.name, settingsVersion: row.settings_version },
  };
}

/** A zone's settings as the API shows them, defaults filled in. */
export function zoneSettingsView(row: ZoneRow): ZoneSettingsView {
  return {
    maxLayers: row.max_layers ?? DEFAULT_POLICY_OPTIONS.maxLayers,
    approvedBaseImages:
      row.approved_base_images === null ? [] : baseImages(row.approved_base_images),
    rpmVerifyIgnoredPaths:
      row.ignored_paths === null
        ? [...DEFAULT_POLICY_OPTIONS.ignoredPaths]
        : strings(readJson(row.ignored_paths)),
    prohibitedLabelPattern:
      row.prohibited_label_pattern ?? DEFAULT_POLICY_OPTIONS.prohibitedLabelPattern.source,
    version: row.settings_version,
  };
}

/** The columns a settings change writes; a field left out is not written, `null` resets it. */
export function settingsColumns(body: ZoneSettingsBody | undefined): SettingsColumns {
  if (body === undefined) {
    return {};
  }
  const json = (v: unknown) => (v === null ? null : writeJson(v));
  return {
    ...(body.maxLayers === undefined ? {} : { max_layers: body.maxLayers }),
    ...(body.approvedBaseImages === undefined
      ? {}
      : { approved_base_images: json(body.approvedBaseImages) }),
    ...(body.rpmVerifyIgnoredPaths === undefined
      ? {}
      : { ignored_paths: json(body.rpmVerifyIgnoredPaths) }),
    ...(body.prohibitedLabelPattern === undefined
      ? {}
      : { prohibited_label_pattern: body.prohibitedLabelPattern }),
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function baseImages(raw: unknown): ApprovedBaseImage[] {
  const value = readJson(raw);
  if (!Array.isArray(value)) {
    return [];
  }
  return value.flatMap((v: unknown) =>
    typeof v === 'object' &&
    v !== null &&
    'name' in v &&
    'layers' in v &&
    typeof v.name === 'string'
      ? [{ name: v.name, layers: strings(v.layers) }]
      : [],
  );
}
