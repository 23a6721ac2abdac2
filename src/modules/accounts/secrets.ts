/** Passwords (scrypt) and random secrets (session, API and e-mail tokens, stored as hashes). */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** The cost (log2 of scrypt's N) new hashes get unless told otherwise: N=2^17, r=8, p=1. */
export const DEFAULT_SCRYPT_COST = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
/** Most memory a stored hash may ask for (N=2^20, r=8), so a doctored hash cannot exhaust it. */
const MAX_SCRYPT_BYTES = 1024 * 1024 * 1024;

/** scrypt's parameters as a hash stores them. */
interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** A stored hash, parsed. */
interface StoredHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function scryptAsync(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  keyLength: number,
): Promise<Buffer> {
  // scrypt needs 128·N·r bytes for V plus 128·r·p for B; the margin covers the rest.
  const maxmem = 128 * params.N * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function paramsOf(cost: number): ScryptParams {
  return { N: 2 ** cost, r: BLOCK_SIZE, p: PARALLELISM };
}

/**
 * Hashes a password as `scrypt$N$r$p$salt$hash` (salt and hash base64url).
 * @param cost log2 of scrypt's N (`accounts.scryptCost`)
 */
export async function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const params = paramsOf(cost);
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, params, KEY_LENGTH);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/**
 * Constant-time check of a password against a stored hash, with the parameters stored in it.
 * @param dummyCost the cost of the work done when there is no usable hash (an unknown login), so
 *   the time taken does not tell whether the account exists
 */
export async function verifyPassword(
  password: string,
  stored: string | null,
  dummyCost = DEFAULT_SCRYPT_COST,
): Promise<boolean> {
  const hash = parseHash(stored);
  if (hash === undefined) {
    await scryptAsync(password, randomBytes(16), paramsOf(dummyCost), KEY_LENGTH);
    return false;
  }
  const key = await scryptAsync(password, hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(hash.key, key);
}

/**
 * The cost (log2 of N) of a stored hash, or undefined when it is not a usable scrypt hash; a
 * hash whose r or p differ from today's counts as cost 0, so it is replaced too.
 */
export function passwordCost(stored: string | null): number | undefined {
  const hash = parseHash(stored);
  if (hash === undefined) {
    return undefined;
  }
  return hash.params.r === BLOCK_SIZE && hash.params.p === PARALLELISM
    ? Math.log2(hash.params.N)
    : 0;
}

function parseHash(stored: string | null): StoredHash | undefined {
  const parts = stored?.split('$');
  if (parts?.length !== 6 || parts[0] !== 'scrypt') {
    return undefined;
  }
  const [N, r, p] = parts.slice(1, 4).map((n) => (/^\d{1,8}$/.test(n) ? Number(n) : NaN));
  if (
    N === undefined ||
    r === undefined ||
    p === undefined ||
    !Number.isInteger(Math.log2(N)) ||
    N < 2 ||
    r < 1 ||
    p < 1 ||
    128 * N * r * p > MAX_SCRYPT_BYTES
  ) {
    return undefined;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || key.length < 16 || key.length > 64) {
    return undefined;
  }
  return { params: { N, r, p }, salt, key };
}

/** A random secret with a recognisable prefix, e.g. `hmt_…` for API tokens. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** How secrets are stored: SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
