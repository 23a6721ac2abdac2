/**
 * What the Build Service screens share: the API's build and settings types, how each build state
 * reads (label and colour), durations and times, and the guide's image tag rules shown as the
 * partner types (the server applies the same rules, `src/modules/builds/rules.ts`, and its answer
 * is the one shown).
 */
import type { paths } from '../../api/schema';
import type { Rule } from '../../rules';

/** A build as the API shows it. */
export type Build =
  paths['/api/v1/builds/{id}']['get']['responses'][200]['content']['application/json'];

/** A build's state. */
export type BuildStatus = Build['status'];

/** What started a build. */
export type BuildTrigger = Build['trigger'];

/** A project's build settings as the API shows them. */
export type BuildSettings =
  paths['/api/v1/projects/{id}/build-settings']['get']['responses'][200]['content']['application/json'];

/** The body of `PUT /projects/{id}/build-settings`. */
export type BuildSettingsBody = NonNullable<
  paths['/api/v1/projects/{id}/build-settings']['put']['requestBody']
>['content']['application/json'];

/** Every state, in the order a build goes through them. */
export const BUILD_STATUSES: readonly BuildStatus[] = [
  'queued',
  'cloning',
  'building',
  'pushing',
  'scanning',
  'passed',
  'failed',
  'error',
  'cancelled',
  'timed_out',
];

/** Every trigger. */
export const BUILD_TRIGGERS: readonly BuildTrigger[] = [
  'manual',
  'base_update',
  'upstream',
  'errata',
];

/** States after which a build no longer changes (its log no longer grows). */
const FINAL: ReadonlySet<BuildStatus> = new Set([
  'passed',
  'failed',
  'error',
  'cancelled',
  'timed_out',
]);

/** Whether a build in `status` has ended. */
export function isFinal(status: BuildStatus): boolean {
  return FINAL.has(status);
}

/** A label colour of PatternFly's. */
type LabelColor = 'grey' | 'blue' | 'purple' | 'green' | 'red' | 'orange';

/** How each state reads, and its label's colour. */
export const STATUS_LABELS: Record<BuildStatus, { text: string; color: LabelColor }> = {
  queued: { text: 'Queued', color: 'grey' },
  cloning: { text: 'Cloning', color: 'blue' },
  building: { text: 'Building', color: 'blue' },
  pushing: { text: 'Pushing', color: 'blue' },
  scanning: { text: 'Scanning', color: 'purple' },
  passed: { text: 'Passed', color: 'green' },
  failed: { text: 'Failed', color: 'red' },
  error: { text: 'Error', color: 'red' },
  cancelled: { text: 'Cancelled', color: 'orange' },
  timed_out: { text: 'Timed out', color: 'orange' },
};

/** How each trigger reads. */
export const TRIGGER_LABELS: Record<BuildTrigger, string> = {
  manual: 'Started by hand',
  base_update: 'Base image updated',
  upstream: 'Upstream base updated',
  errata: 'Package updates',
};

/** The phases a build's durations are given for, in order, as they read. */
export const PHASES = [
  ['queued', 'Queued'],
  ['cloning', 'Cloning'],
  ['building', 'Building'],
  ['pushing', 'Pushing'],
  ['scanning', 'Scanning'],
] as const;

/** Seconds as "4 s", "2 min 5 s", "1 h 3 min" (or "—" when unknown). */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '—';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A time as "5 Dec 2026, 14:03" (or "—" when absent). */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) {
    return '—';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      });
}

/** A commit id as git shows it short (12 characters), or "—". */
export function shortCommit(commit: string | null): string {
  return commit === null ? '—' : commit.slice(0, 12);
}

/** The guide's longest tag. */
export const MAX_TAG_LENGTH = 32;

/** The guide's image tag rules for `tag`. */
export function tagRules(tag: string): Rule[] {
  return [
    { text: 'Not empty', met: tag.length > 0 },
    {
      text: 'Only ASCII letters, digits, underscores (_), periods (.) and hyphens (-)',
      met: /^[A-Za-z0-9_.-]*$/.test(tag),
    },
    {
      text: 'Does not start with a period or a hyphen',
      met: !tag.startsWith('.') && !tag.startsWith('-'),
    },
    { text: `At most ${MAX_TAG_LENGTH} characters`, met: tag.length <= MAX_TAG_LENGTH },
  ];
}
