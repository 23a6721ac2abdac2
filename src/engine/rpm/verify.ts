/**
 * rpm verification in TypeScript, as `rpm -Va` reports it: every file a package owns is compared
 * with the image's final filesystem (type, mode, size, digest, link target).
 */
import type { FileTree } from '../image/file-tree.js';
import type { DigestAlgo, FileType } from '../image/types.js';
import { nevra } from './database.js';
import type { RpmFile, RpmPackage } from './types.js';

/** One file that does not match its package. */
export interface VerifyProblem {
  package: string;
  path: string;
  kinds: Array<'missing' | 'type' | 'mode' | 'size' | 'digest' | 'linkto'>;
}

const FLAG = { config: 1, doc: 2, ghost: 64, license: 128, readme: 256 } as const;
const VERIFY = { digest: 1, size: 2, linkto: 4, mode: 64 } as const;
const ALGOS: Record<number, DigestAlgo> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

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

/** True for files rpm -Va would not hold against the image. */
export function isExcludedFile(f: RpmFile, ignored: readonly string[]): boolean {
  const skipFlags = FLAG.config | FLAG.doc | FLAG.ghost | FLAG.license | FLAG.readme;
  return (f.flags & skipFlags) !== 0 || f.state !== 0 || isIgnoredPath(f.path, ignored);
}

/** Verifies every package; `unverifiable` lists why some files could not be decided. */
export function verifyPackages(
  packages: RpmPackage[],
  fs: FileTree,
  opts: { ignoredPaths: readonly string[] },
): { problems: VerifyProblem[]; unverifiable: string[] } {
  const problems: VerifyProblem[] = [];
  const unverifiable = new Set<string>();
  for (const pkg of packages) {
    const algo = digestAlgoName(pkg.digestAlgo);
    for (const f of pkg.files) {
      if (isExcludedFile(f, opts.ignoredPaths)) {
        continue;
      }
      const kinds = verifyFile(f, fs, algo, (why) => unverifiable.add(`${nevra(pkg)}: ${why}`));
      if (kinds.length > 0) {
        problems.push({ package: nevra(pkg), path: f.path, kinds });
      }
    }
  }
  return { problems, unverifiable: [...unverifiable] };
}

function verifyFile(
  f: RpmFile,
  fs: FileTree,
  algo: DigestAlgo | undefined,
  cannot: (why: string) => void,
): VerifyProblem['kinds'] {
  const slash = f.path.lastIndexOf('/');
  const parent = fs.resolve(f.path.slice(0, slash) || '/');
  const entry =
    parent === undefined
      ? undefined
      : fs.lstat(`${parent === '/' ? '' : parent}/${f.path.slice(slash + 1)}`);
  if (!entry) {
    return ['missing'];
  }
  const want = modeType(f.mode);
  if (want && want !== entry.type) {
    return ['type'];
  }
  const kinds: VerifyProblem['kinds'] = [];
  const check = (bit: number): boolean => (f.verifyFlags & bit) !== 0;
  if (entry.type === 'symlink') {
    if (check(VERIFY.linkto) && entry.linkname !== f.linkto) {
      kinds.push('linkto');
    }
    return kinds;
  }
  if (check(VERIFY.mode) && (f.mode & 0o7777) !== entry.mode) {
    kinds.push('mode');
  }
  if (entry.type !== 'file') {
    return kinds;
  }
  if (check(VERIFY.size) && f.size !== entry.size) {
    kinds.push('size');
  }
  if (check(VERIFY.digest) && f.digest !== '') {
    const actual = algo ? entry.digests?.[algo] : undefined;
    if (actual === undefined) {
      cannot(`no ${algo ?? 'known'} digest available for ${f.path}`);
    } else if (actual !== f.digest) {
      kinds.push('digest');
    }
  }
  return kinds;
}
