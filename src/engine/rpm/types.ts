/** Types of installed rpm packages as read from an rpm database. */

/** One file a package owns, from the header's file tags. */
export interface RpmFile {
  /** Absolute path (dirname + basename). */
  path: string;
  /** Hex digest in the package's digest algorithm; empty for directories, symlinks, ghosts. */
  digest: string;
  size: number;
  /** Full st_mode, type bits included (e.g. 0o100644, 0o40755, 0o120777). */
  mode: number;
  /** RPMFILE_* flags (config 1, doc 2, missingok 8, noreplace 16, ghost 64, license 128, readme 256, artifact 4096). */
  flags: number;
  /** RPMFILE_STATE_* (0 normal, 1 replaced, 2 not installed, 3 net shared, 4 wrong color, -1 missing). */
  state: number;
  user: string;
  group: string;
  /** Symlink target; empty when not a symlink. */
  linkto: string;
  /** RPMVERIFY_* bits to check (0xffffffff = everything). */
  verifyFlags: number;
}

/** One installed package. */
export interface RpmPackage {
  name: string;
  /** Null when the EPOCH tag is absent. */
  epoch: number | null;
  version: string;
  release: string;
  /** Null for pseudo-packages such as gpg-pubkey. */
  arch: string | null;
  sourcerpm: string | null;
  size: number;
  license: string | null;
  vendor: string | null;
  modularitylabel: string | null;
  /**
   * rpm's PGPHASHALGO number for file digests (1 md5, 2 sha1, 8 sha256, 9 sha384, 10 sha512,
   * 11 sha224); null when the tag is absent, in which case rpm uses MD5.
   */
  digestAlgo: number | null;
  /** Hex MD5 of header+payload (RPMTAG_SIGMD5), null when absent. */
  sigmd5: string | null;
  /** The files the package owns. */
  files: RpmFile[];
}

/** The outcome of looking for and reading the image's rpm database. */
export type RpmDatabaseResult =
  | { status: 'ok'; format: RpmDbFormat; path: string; packages: RpmPackage[] }
  | { status: 'missing'; searched: string[] }
  | { status: 'error'; format?: RpmDbFormat; path: string; message: string };

/** The three on-disk formats rpm has used. */
export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

/** One record of a package database: rpm's instance number and its raw header blob. */
export interface HeaderRecord {
  /** Header instance (SQLite `hnum`, BerkeleyDB key, NDB package index). */
  instance: number;
  blob: Buffer;
}
