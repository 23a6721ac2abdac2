/** The software platforms partners may request (not-for-resale subscriptions). */

/** A platform and the platforms a request for it includes. */
export interface Platform {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** Platforms granted along with this one ("RHV included when RHEL is requested"). */
  readonly includes: readonly string[];
}

/** The seeded platforms, by id. */
export const PLATFORMS = {
  RHEL: {
    id: 'RHEL',
    name: 'Red Hat Enterprise Linux',
    description:
      'On premise. A subscription of Red Hat Enterprise Linux and Red Hat Virtualization.',
    includes: ['RHV'],
  },
  RHV: {
    id: 'RHV',
    name: 'Red Hat Virtualization',
    description:
      'On premise. Already included when Red Hat Enterprise Linux was requested through the program.',
    includes: [],
  },
} as const satisfies Record<string, Platform>;

/** A platform id. */
export type PlatformId = keyof typeof PLATFORMS;

/** Every platform id. */
export const PLATFORM_IDS = Object.keys(PLATFORMS) as [PlatformId, ...PlatformId[]];

/** The display name of a platform id (the id itself for one no longer offered). */
export function platformName(id: string): string {
  return id in PLATFORMS ? PLATFORMS[id as PlatformId].name : id;
}

/** The requested platforms plus the ones they include, each once, requested ones first. */
export function expandPlatforms(requested: readonly PlatformId[]): {
  explicit: PlatformId[];
  implied: PlatformId[];
} {
  const explicit = [...new Set(requested)];
  const implied = explicit
    .flatMap((id) => PLATFORMS[id].includes as readonly PlatformId[])
    .filter((id, i, all) => !explicit.includes(id) && all.indexOf(id) === i);
  return { explicit, implied };
}
