/**
 * The scan process: child entry script of the `scan.image` job. Runs the engine on one stored
 * image, away from the thread that answers HTTP, and returns only what the job stores. It imports
 * the engine and the blob store only (types aside), never a module's index: what a child loads
 * is paid again at every scan's start.
 */
import { toJsonReport, type JsonReport } from '../../engine/report.js';
import { scanImage } from '../../engine/scan.js';
import type { PolicyOptions } from '../../engine/policy/types.js';
import { openStoredImage, type StoredImage } from '../../engine/image/stored-image.js';
import { openVulnerabilityData, type VulnIndexLocation } from '../../engine/vuln/index.js';
import type { MatchInput, VulnerabilityReport } from '../../engine/vuln/types.js';
import type { BlobStore } from '../../platform/blobs/index.js';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { serveTask } from '../../platform/sandbox/index.js';
import type { ScanRules } from '../zones/index.js';
import { BlobIndexStore, type LayerIndexPlan, type LayerIndexReport } from './scan-index-store.js';

/** What the job hands the scan process: plain data only. */
export interface ScanRequest {
  /** `<repository>:<tag>`, the reference the report names. */
  readonly reference: string;
  readonly manifest: StoredImage;
  /** Every tag of the repository that points at the image. */
  readonly tags: string[];
  /** Where the blob store is. */
  readonly blobs: Config['blobs'];
  readonly rules: ScanRules;
  /**
   * The vulnerability index to match with (this process opens it, connecting to PostgreSQL itself
   * for a cluster's index) and what to say when it holds nothing yet, or why there is none (the
   * scan then says so).
   */
  readonly vulndb:
    | { readonly location: VulnIndexLocation; readonly missing: string }
    | { readonly unavailable: string };
  readonly now: Date;
  /** The scan's own temporary directory; the job removes it. */
  readonly tempDir: string;
  /** The stored indexes of the image's layers, and which layers to index. */
  readonly layerIndexes: LayerIndexPlan;
}

/** What the job stores of a finished scan. */
export interface ScanReply {
  readonly report: JsonReport;
  readonly passed: boolean;
  readonly assessments: { name: string; outcome: string; required: boolean }[];
  /** The package set and the facts vulnerability matching reads besides it. */
  readonly matchInput: MatchInput;
  readonly vulnerabilities: VulnerabilityReport | null;
  /** Layer indexes the scan used and wrote, for the job to record. */
  readonly layerIndexes: LayerIndexReport;
  /** Why an index could not be written, if one could not (only its index is lost). */
  readonly indexWriteFailure?: string;
}

/** Scans the image of `request`. */
async function scan(request: ScanRequest): Promise<ScanReply> {
  const blobs = await openStore(request.blobs);
  // Opened while the layers are read (a PostgreSQL index costs a connection); the scan awaits it
  // once it knows the packages. Handled here too, so a scan that fails before that leaves no
  // unhandled rejection.
  const vulns =
    'location' in request.vulndb
      ? openData(request.vulndb)
      : Promise.resolve({ unavailable: request.vulndb.unavailable });
  vulns.catch(() => undefined);
  const indexes = new BlobIndexStore(blobs, request.layerIndexes, request.manifest.readable);
  try {
    const result = await scanImage(request.reference, {
      policy: request.rules.policy,
      policyOptions: policyOptions(request.rules),
      vulns,
      now: request.now,
      tempRoot: request.tempDir,
      open: () => openStoredImage(blobs, request.manifest, request.tags),
      indexes,
      record: indexes,
    });
    const { report: layerIndexes, writeFailure } = await indexes.report();
    return {
      report: toJsonReport(result),
      passed: result.passed,
      assessments: result.results.map((r) => ({
        name: r.name,
        outcome: r.outcome,
        required: r.required,
      })),
      matchInput: {
        packages: result.packages.map((p) => ({
          name: p.name,
          epoch: p.epoch,
          version: p.version,
          release: p.release,
          arch: p.arch,
          modularitylabel: p.modularitylabel,
        })),
        ...result.matchFacts,
      },
      vulnerabilities: result.vulnerabilities,
      layerIndexes,
      ...(writeFailure === undefined ? {} : { indexWriteFailure: writeFailure }),
    };
  } finally {
    const opened = await vulns.catch(() => undefined);
    if (opened !== undefined && 'matcher' in opened) {
      await opened.matcher.close();
    }
  }
}

/**
 * The blob store, loading only its own back end's code (`createBlobStore` imports both): the S3
 * client takes longer to load than a small scan takes to run, and a scan process loads
 * everything it imports anew.
 */
async function openStore(config: Config['blobs']): Promise<BlobStore> {
  if (config.driver === 's3') {
    const { S3BlobStore } = await import('../../platform/blobs/s3-blob-store.js');
    return new S3BlobStore(config.s3);
  }
  const { FsBlobStore } = await import('../../platform/blobs/fs-blob-store.js');
  return new FsBlobStore(config.dir);
}

/** Opens the index; one not created yet is no data, as the server says it. */
async function openData(source: {
  readonly location: VulnIndexLocation;
  readonly missing: string;
}): ReturnType<typeof openVulnerabilityData> {
  try {
    return await openVulnerabilityData(source.location);
  } catch (err) {
    if (err instanceof AppError && err.code === 'vulndb.not_found') {
      return { unavailable: source.missing };
    }
    throw err;
  }
}

/** The engine's options for a zone's rules. */
function policyOptions(rules: ScanRules): Partial<PolicyOptions> {
  return {
    advisory: new Set(rules.advisory),
    maxLayers: rules.maxLayers,
    approvedBaseLayers: rules.approvedBaseLayers,
    ignoredPaths: rules.ignoredPaths,
    prohibitedLabelPattern: new RegExp(rules.prohibitedLabelPattern, 'i'),
  };
}

serveTask(scan);
