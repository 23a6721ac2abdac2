/**
 * rpm verification in TypeScript, as `rpm -Va` reports it: every file a package owns is compared
 * with the image's final filesystem (type, permissions, size, digest, link target).
 */
import type { FileTree } from '../image/file-tree.js';
import type { DigestAlgo, FileType, FsEntry } from '../image/types.js';
import { nevra } from './database.js';
import type { RpmFile, RpmPackage } from './types.js';

/** What can differ between a package file and the image. */
export type VerifyKind = 'missing' | 'type' | 'mode' | 'size' | 'digest' | 'linkto';

/** One file that does not match its package. */
export interface VerifyProblem {
  /** The owning package as a NEVRA, e.g. `openssl-libs-1:3.0.7-27.el9.x86_64`. */
  package: string;
  path: string;
  kinds: VerifyKind[];
}

/** RPMFILE_* attribute bits of a package file. */
export const RPMFILE = {
  config: 1,
  doc: 2,
  missingok: 8,
  ghost: 64,
  license: 128,
  readme: 256,
} as const;

/** RPMVERIFY_* bits: which attributes rpm checks for a file. */
export const RPMVERIFY = { digest: 1, size: 2, linkto: 4, mode: 64 } as const;

const ALGOS: Readonly<Record<number, DigestAlgo>> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

/** Files rpm -Va does not hold against an image: config, docs, licences, readmes, ghosts. */
const SKIPPED_ATTRS =
  RPMFILE.config | RPMFILE.doc | RPMFILE.ghost | RPMFILE.license | RPMFILE.readme;

/** The digest algorithm of an rpm PGPHASHALGO number (absent = MD5, as rpm assumes). */
export function digestAlgoName(algo: number | null): DigestAlgo | undefined {
  return ALGOS[algo ?? 1];
}

/** The object type encoded in an st_mode. */
export function modeType(mode: number): FileType | undefined {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    default:
      return undefined;
  }
}

/** True when a path is excluded by the policy's ignore list (exact path, or prefix ending in `/`). */
export function isIgnoredPath(path: string, ignored: readonly string[]): boolean {
  return ignored.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}

/** True for package files neither verification nor the modified-file check holds against an image. */
export function isExcludedFile(f: RpmFile, ignored: readonly string[]): boolean {
  return (f.flags & SKIPPED_ATTRS) !== 0 || f.state !== 0 || isIgnoredPath(f.path, ignored);
}

/**
 * The canonical path of a package file in the image: its parent directory resolved through
 * symlinks (as the kernel would for lstat), its last component kept. Undefined when the parent
 * does not exist.
 */
export function canonicalFilePath(fs: FileTree, path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const parent = fs.resolve(path.slice(0, slash) || '/');
  if (parent === undefined) {
    return undefined;
  }
  return `${parent === '/' ? '' : parent}/${path.slice(slash + 1)}`;
}

/** Collects the reasons some files could not be decided, one line per reason. */
class Undecided {
  private readonly reasons = new Map<string, string[]>();

  add(reason: string, example: string): void {
    const list = this.reasons.get(reason) ?? [];
    list.push(example);
    this.reasons.set(reason, list);
  }

  list(): string[] {
    return [...this.reasons].map(([reason, examples]) => {
      const shown = examples.slice(0, 3).join(', ');
      const more = examples.length > 3 ? ` and ${examples.length - 3} more` : '';
      return `${reason} for ${examples.length} file(s): ${shown}${more}`;
    });
  }
}

/**
 * Verifies every package against the image's final filesystem. `unverifiable` says why some
 * files could not be decided (a digest that was not computed, an unknown digest algorithm);
 * a caller must not treat those as a pass.
 */
export function verifyPackages(
  packages: RpmPackage[],
  fs: FileTree,
  opts: { ignoredPaths: readonly string[] },
): { problems: VerifyProblem[]; unverifiable: string[] } {
  const problems: VerifyProblem[] = [];
  const undecided = new Undecided();
  for (const pkg of packages) {
    const id = nevra(pkg);
    const algo = digestAlgoName(pkg.digestAlgo);
    for (const f of pkg.files) {
      if (isExcludedFile(f, opts.ignoredPaths)) {
        continue;
      }
      const where = canonicalFilePath(fs, f.path);
      if (where !== undefined && where !== f.path && isIgnoredPath(where, opts.ignoredPaths)) {
        continue;
      }
      const entry = where === undefined ? undefined : fs.lstat(where);
      const kinds = compareFile(f, entry, algo, (reason) =>
        undecided.add(reason, `${f.path} (${id})`),
      );
      if (kinds.length > 0) {
        problems.push({ package: id, path: f.path, kinds });
      }
    }
  }
  return { problems, unverifiable: undecided.list() };
}

/** The differences between a package file and the image's entry at its path. */
export function compareFile(
  f: RpmFile,
  entry: FsEntry | undefined,
  algo: DigestAlgo | undefined,
  cannot: (reason: string) => void,
): VerifyKind[] {
  if (!entry) {
    // rpm -Va stays silent about a missing %missingok file.
    return (f.flags & RPMFILE.missingok) !== 0 ? [] : ['missing'];
  }
  const want = modeType(f.mode);
  if (want !== undefined && want !== entry.type) {
    return ['type'];
  }
  const checks = (bit: number): boolean => (f.verifyFlags & bit) !== 0;
  const kinds: VerifyKind[] = [];
  if (entry.type === 'symlink') {
    if (checks(RPMVERIFY.linkto) && (entry.linkname ?? '') !== f.linkto) {
      kinds.push('linkto');
    }
    return kinds;
  }
  if (checks(RPMVERIFY.mode) && (f.mode & 0o7777) !== entry.mode) {
    kinds.push('mode');
  }
  if (entry.type !== 'file') {
    return kinds;
  }
  if (checks(RPMVERIFY.size) && f.size !== entry.size) {
    kinds.push('size');
  }
  if (checks(RPMVERIFY.digest)) {
    const kind = compareDigest(f, entry, algo, cannot);
    if (kind) {
      kinds.push(kind);
    }
  }
  return kinds;
}

function compareDigest(
  f: RpmFile,
  entry: FsEntry,
  algo: DigestAlgo | undefined,
  cannot: (reason: string) => void,
): 'digest' | undefined {
  if (f.digest === '') {
    // rpm reports a regular file without a recorded digest as a digest mismatch.
    return 'digest';
  }
  if (algo === undefined) {
    cannot('the package names a file digest algorithm rpm does not know');
    return undefined;
  }
  const actual = entry.digests?.[algo];
  if (actual === undefined) {
    cannot(`no ${algo} digest was computed while reading the layers`);
    return undefined;
  }
  return actual.toLowerCase() === f.digest.toLowerCase() ? undefined : 'digest';
}
