/**
 * The whole scan of one image: resolve it, read every layer once, read the rpm database, match
 * vulnerabilities, run the policy. Pure library: `hallmark check` and the server's scanner call it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCapturedPath, readContentSets, readOsRelease } from './facts.js';
import { readLayers, type LayerIndexSink, type LayerIndexSource } from './image/read-layers.js';
import type { FileTree } from './image/file-tree.js';
import type { DigestAlgo, LayerChanges, ResolvedImage } from './image/types.js';
import { DEFAULT_POLICY_OPTIONS, getPolicy, runPolicy } from './policy/index.js';
import type { CheckContext, CheckResult, PolicyId, PolicyOptions } from './policy/types.js';
import { isRpmDbFile, readRpmDatabase, readRpmDatabaseFiles } from './rpm/database.js';
import { digestAlgoName } from './rpm/verify.js';
import type { RpmDatabaseResult, RpmPackage } from './rpm/types.js';
import type { VulnerabilityMatcher, VulnerabilityReport } from './vuln/types.js';

/**
 * Digests computed for every regular file in the first pass: what rpm headers of RHEL 8 and later
 * use. Images whose packages use another algorithm (RHEL 7's MD5) get a second pass for it, so
 * the common case pays for one hash only.
 */
const FILE_DIGESTS: DigestAlgo[] = ['sha256'];

/** Progress of a scan, for progress bars. */
export type ScanProgress =
  | { phase: 'resolve' }
  | { phase: 'layers'; layer: number; layers: number; bytes: number; totalBytes: number }
  | { phase: 'rpm' }
  | { phase: 'policy' };

/** Opened vulnerability data, or the reason there is none. */
export type VulnerabilityData = { matcher: VulnerabilityMatcher } | { unavailable: string };

/** Everything a caller can set for one scan. */
export interface ScanOptions {
  policy: PolicyId;
  platform?: { os: string; architecture: string; variant?: string };
  creds?: { username: string; password: string };
  tlsVerify?: boolean;
  /**
   * Opened vulnerability data, or the reason there is none — or its opening, awaited only once
   * the packages are known (a connection to a PostgreSQL index is then made while layers are read).
   */
  vulns: VulnerabilityData | Promise<VulnerabilityData>;
  policyOptions?: Partial<PolicyOptions>;
  /** The time grades are computed for (injectable for tests). */
  now?: Date;
  /** Parent of the scan's temporary directory (default: the OS temp dir). */
  tempRoot?: string;
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
  /**
   * Opens the image instead of resolving `reference` through a transport (the server scans
   * images from its own registry storage this way).
   */
  open?: (tempDir: string) => Promise<ResolvedImage>;
  /**
   * Indexes of layers read before (the server keeps them per layer digest), applied instead of
   * the layers' bytes. They must have been recorded by this engine's `record`: the same captured
   * and extracted paths.
   */
  indexes?: LayerIndexSource;
  /** Where to hand the indexes of layers read from their bytes. */
  record?: LayerIndexSink;
}

/** The outcome of a scan, before it is presented as JSON, text or JUnit. */
export interface ScanResult {
  reference: string;
  /** The manifest digest, or the config digest when the image has no manifest (`manifestDigest` null). */
  digest: string;
  /** Digest of the image's manifest; null when the source holds none (a legacy docker-archive). */
  manifestDigest: string | null;
  /** Digest of the image config: the image ID `docker images` shows for a classic store. */
  configDigest: string;
  layers: string[];
  created: string | null;
  labels: Record<string, string>;
  user: string | null;
  tags: string[];
  policy: PolicyId;
  passed: boolean;
  results: CheckResult[];
  rpm: RpmDatabaseResult;
  packages: RpmPackage[];
  vulnerabilities: VulnerabilityReport | null;
  /** What vulnerability matching reads besides the packages, kept so grades can be recomputed later. */
  matchFacts: { contentSets: string[]; osRelease: Record<string, string> };
  stats: { files: number; uncompressedBytes: number; compressedBytes: number };
}

/**
 * Scans `reference` (`oci:…`, `docker-archive:…`, `docker://…`) against a policy.
 * @throws ImageReadError when the image cannot be read; policy failures are results, not throws.
 */
export async function scanImage(reference: string, options: ScanOptions): Promise<ScanResult> {
  const tempDir = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'hallmark-scan-'));
  let image: ResolvedImage | undefined;
  try {
    options.onProgress?.({ phase: 'resolve' });
    const resolved = options.open
      ? await options.open(tempDir)
      : await resolveReference(reference, options, tempDir);
    image = resolved;
    const readWith = (digestAlgorithms: DigestAlgo[], pass: number) =>
      readLayers(resolved, {
        workDir: join(tempDir, `files-${pass}`),
        digestAlgorithms,
        capture: isCapturedPath,
        extract: isRpmDbFile,
        onProgress: (p) => options.onProgress?.({ phase: 'layers', ...p }),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.indexes ? { indexes: options.indexes } : {}),
        ...(options.record ? { record: options.record } : {}),
      });
    let read = await readWith(FILE_DIGESTS, 1);
    options.onProgress?.({ phase: 'rpm' });
    let rpm = readRpmDatabase(read.fs);
    const extra = rpm.status === 'ok' ? missingDigests(rpm.packages, FILE_DIGESTS) : [];
    if (extra.length > 0) {
      read = await readWith([...FILE_DIGESTS, ...extra], 2);
      rpm = readRpmDatabase(read.fs);
    }
    const packages = rpm.status === 'ok' ? rpm.packages : [];
    const vulns = await matchVulnerabilities(read.fs, packages, options);
    options.onProgress?.({ phase: 'policy' });
    const ctx: CheckContext = {
      image,
      fs: read.fs,
      layers: read.layers,
      rpm,
      rpmByLayer: rpmStateByLayer(read.layers, rpm),
      vulns: vulns.status === 'ok' ? { status: 'ok', report: vulns.report } : vulns,
      options: { ...DEFAULT_POLICY_OPTIONS, ...options.policyOptions },
    };
    const results = [
      ...unreadLayersFinding(read.unread),
      ...(await runPolicy(getPolicy(options.policy), ctx)),
    ];
    const config = image.config.config ?? {};
    return {
      reference,
      digest: image.digest,
      manifestDigest: image.noManifest ? null : image.digest,
      configDigest: image.manifest.config.digest,
      layers: image.manifest.layers.map((l) => l.digest),
      created: image.config.created ?? null,
      labels: { ...(config.Labels ?? {}) },
      user: config.User ? config.User : null,
      tags: image.tags,
      policy: options.policy,
      passed: results.every((r) => !r.required || r.outcome === 'pass'),
      results,
      rpm,
      packages,
      vulnerabilities: vulns.status === 'ok' ? vulns.report : null,
      matchFacts: { contentSets: readContentSets(read.fs), osRelease: readOsRelease(read.fs) },
      stats: {
        files: read.fs.size,
        uncompressedBytes: read.stats.uncompressedBytes,
        compressedBytes: read.stats.compressedBytes,
      },
    };
  } finally {
    await image?.close();
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * Resolves `reference` through its transport. The transports (OCI layouts, archives, registries
 * and their HTTP client) are loaded here, only when needed: the server's scan processes open
 * stored images themselves and need not pay for loading them.
 */
async function resolveReference(
  reference: string,
  options: ScanOptions,
  tempDir: string,
): Promise<ResolvedImage> {
  const { resolveImage } = await import('./image/resolve.js');
  return resolveImage(reference, {
    tempDir,
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.creds ? { creds: options.creds } : {}),
    ...(options.tlsVerify === undefined ? {} : { tlsVerify: options.tlsVerify }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * A required failure when layers were left unread: an image whose content could not be checked
 * cannot pass, whatever the policy says of the rest.
 */
function unreadLayersFinding(unread: readonly string[]): CheckResult[] {
  if (unread.length === 0) {
    return [];
  }
  return [
    {
      name: 'LayersReadable',
      outcome: 'fail',
      required: true,
      description: 'every layer of the image was read and checked',
      reason: `${unread.length} layer(s) could not be read and were not checked: ${unread.join(', ')}. A foreign (non-distributable) layer is scanned only when its bytes were pushed to this repository.`,
      suggestion:
        'Push every layer to the repository (for foreign layers, push their bytes too, e.g. with --allow-nondistributable-artifacts).',
      url: 'docs/security.md#foreign-layers',
    },
  ];
}

/** Digest algorithms the packages' file headers use that `have` lacks. */
function missingDigests(packages: RpmPackage[], have: DigestAlgo[]): DigestAlgo[] {
  const needed = new Set<DigestAlgo>();
  for (const p of packages) {
    const algo = digestAlgoName(p.digestAlgo);
    if (p.files.length > 0 && algo && !have.includes(algo)) {
      needed.add(algo);
    }
  }
  return [...needed];
}

async function matchVulnerabilities(
  fs: FileTree,
  packages: RpmPackage[],
  options: ScanOptions,
): Promise<
  { status: 'ok'; report: VulnerabilityReport } | { status: 'unavailable'; message: string }
> {
  const data = await options.vulns;
  if ('unavailable' in data) {
    return { status: 'unavailable', message: data.unavailable };
  }
  const input = { packages, contentSets: readContentSets(fs), osRelease: readOsRelease(fs) };
  const report = await data.matcher.match(input, options.now ?? new Date());
  return { status: 'ok', report };
}

/**
 * The rpm database as each layer left it. Layers that wrote no database inherit the state below;
 * when the final database came from the only layer that wrote one, it is not read twice.
 */
function rpmStateByLayer(layers: LayerChanges[], final: RpmDatabaseResult): RpmDatabaseResult[] {
  const writers = layers.filter((l) => l.rpmdbFiles.size > 0).length;
  let state: RpmDatabaseResult = { status: 'missing', searched: [] };
  return layers.map((layer) => {
    if (layer.rpmdbFiles.size > 0) {
      state =
        writers === 1 && final.status === 'ok' ? final : readRpmDatabaseFiles(layer.rpmdbFiles);
    }
    return state;
  });
}
