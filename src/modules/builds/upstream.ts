/**
 * Bases in upstream registries: Hallmark cannot hear their pushes, so it polls each distinct tag
 * that auto-rebuilding projects stand on — one manifest HEAD per tag (GET when the registry names
 * no digest), anonymous or with the Bearer token a registry's challenge asks for, as
 * `hallmark check` reads registries — and rebuilds the projects built on another digest.
 */
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RegistryClient } from '../../engine/image/registry-client.js';
import { compareAndSetSetting } from '../../platform/db/index.js';
import { describeError } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import { isPublicAddress } from './addresses.js';
import {
  count,
  emptyReport,
  forEachDependent,
  queueRebuild,
  type RebuildDeps,
  type RebuildReport,
} from './rebuild.js';
import { parseBaseReference, type BaseReference } from './references.js';
import type { BuildRow } from './service.js';

/** The setting holding when the upstream bases were last polled. */
export const POLLED_AT_KEY = 'builds.upstream_polled_at';

/** What a poll needs besides the queue. */
export interface PollDeps extends RebuildDeps {
  /** `host[:port]` names of Hallmark's own registry, whose pushes trigger rebuilds directly. */
  readonly ownHosts: ReadonlySet<string>;
  /** `builds.allowPrivateAddresses`: poll registries on private and loopback addresses too. */
  readonly allowPrivateAddresses: boolean;
  /** `builds.insecureRegistries`: read over plain HTTP or without checking the certificate. */
  readonly insecureRegistries?: readonly string[];
  /** Reads the digest a registry gives a tag now (default: over HTTP, see `resolveDigest`). */
  readonly resolve?: (
    base: BaseReference,
    signal: AbortSignal,
    tlsVerify: boolean,
  ) => Promise<string>;
  /** Time limit of one tag's resolution (default 30 s). */
  readonly timeoutMs?: number;
}

/** What a poll did. */
export interface PollReport extends RebuildReport {
  /** Distinct upstream tags looked at. */
  bases: number;
  /** Tags that could not be resolved (unreachable, refused, unknown, a private address). */
  failed: number;
}

/** Tags resolved at the same time. */
const PARALLEL = 4;

/**
 * Resolves every upstream base of the auto-rebuilding projects' last passed builds and queues a
 * rebuild of each project built on a digest its tag no longer has. Bases pinned by digest, in
 * Hallmark's own registry, or without a recorded digest are left out.
 */
export async function pollUpstreamBases(deps: PollDeps): Promise<PollReport> {
  const bases = new Map<string, { base: BaseReference; builds: BuildRow[] }>();
  await forEachDependent(deps.db, {}, (page) => {
    for (const build of page) {
      const base = parseBaseReference(build.base_image ?? '');
      if (
        base === undefined ||
        base.digest !== undefined ||
        deps.ownHosts.has(base.registry) ||
        build.base_digest === null
      ) {
        continue;
      }
      const entry = bases.get(base.key) ?? { base, builds: [] };
      entry.builds.push(build);
      bases.set(base.key, entry);
    }
    return Promise.resolve();
  });
  const report: PollReport = { ...emptyReport(), bases: bases.size, failed: 0 };
  const pending = [...bases.values()];
  const worker = async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const digest = await currentDigest(deps, next.base);
      if (digest === undefined) {
        report.failed += 1;
        continue;
      }
      for (const build of next.builds) {
        if (build.base_digest === digest) {
          report.dependents += 1;
          report.unchanged += 1;
          continue;
        }
        count(
          report,
          await queueRebuild(deps, build, {
            trigger: 'upstream',
            key: digest,
            why: `the upstream base ${build.base_image ?? ''} has a new digest ${digest} (built on ${build.base_digest ?? 'unknown'}).`,
          }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, pending.length) }, worker));
  return report;
}

/**
 * Takes the due poll whose scheduler saw the last poll at `seen` ('' for never): true for the one
 * caller that moves the mark to now, so duplicate jobs of one schedule poll once between them.
 */
export function claimPoll(deps: Pick<PollDeps, 'db' | 'clock'>, seen: string): Promise<boolean> {
  const now = deps.clock.now();
  return compareAndSetSetting(
    deps.db,
    POLLED_AT_KEY,
    seen === '' ? undefined : seen,
    now.toISOString(),
    now,
  );
}

/** The digest of the base's tag now, or undefined (logged) when it cannot be had. */
async function currentDigest(deps: PollDeps, base: BaseReference): Promise<string | undefined> {
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 30_000);
  try {
    if (!deps.allowPrivateAddresses && !(await isPublicHost(base.registry))) {
      log.warn('build', 'upstream base on a private address not polled', {
        base: base.key,
        hint: 'set builds.allowPrivateAddresses to poll it',
      });
      return undefined;
    }
    const tlsVerify = !(deps.insecureRegistries ?? []).includes(base.registry);
    return await (deps.resolve ?? resolveDigest)(base, signal, tlsVerify);
  } catch (err) {
    log.warn('build', 'upstream base could not be resolved', {
      base: base.key,
      error: describeError(err),
    });
    return undefined;
  }
}

/**
 * The digest the registry gives the base's tag: the `Docker-Content-Digest` of a manifest HEAD
 * asking for every manifest and index type (so an index is compared with an index, as builds
 * record it), else the SHA-256 of the manifest a GET returns.
 */
export async function resolveDigest(
  base: BaseReference,
  signal: AbortSignal,
  tlsVerify = true,
): Promise<string> {
  const client = new RegistryClient({ registry: base.registry, tlsVerify, signal });
  try {
    const headed = await client.headManifest(base.repository, base.tag);
    if (headed !== undefined && /^sha256:[0-9a-f]{64}$/.test(headed)) {
      return headed;
    }
    const manifest = await client.getManifest(base.repository, base.tag);
    return `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`;
  } finally {
    await client.close();
  }
}

/** True when every address of the registry's host is public. */
async function isPublicHost(registry: string): Promise<boolean> {
  const host = registry.startsWith('[')
    ? registry.slice(1, registry.indexOf(']'))
    : registry.replace(/:\d+$/, '');
  const addresses =
    isIP(host) === 0
      ? (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)
      : [host];
  return addresses.length > 0 && addresses.every(isPublicAddress);
}
