/**
 * Secrets of the build settings at rest — deploy keys and git tokens — sealed with AES-256-GCM
 * under the server's build key (`builds.secretKey`, or a key generated once in a private file of
 * the data directory). Each value is bound to its project (additional authenticated data), so a
 * sealed value copied to another project's row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../platform/config.js';
import { internal } from '../../platform/errors.js';
import { log } from '../../platform/logger.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../../platform/private-files.js';

/** Where the generated key lives when the configuration names none. */
export const SECRET_FILE = 'builds-secret.key';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Seals and opens secrets with one key. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`the build secret key must be ${KEY_BYTES} bytes`);
    }
    this.key = key;
  }

  /** `v1:<base64 of iv, tag and ciphertext>`, bound to `context` (the project id). */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /**
   * The secret sealed by {@link seal} with the same `context`.
   * @throws AppError `build.secret_unreadable` (500) when the key changed or the value was altered
   */
  open(sealed: string, context: string): string {
    const [version, payload = ''] = sealed.split(':', 2);
    const raw = Buffer.from(payload, 'base64');
    if (version !== VERSION || raw.length < IV_BYTES + TAG_BYTES) {
      throw unreadable();
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (err) {
      throw unreadable(err);
    }
  }
}

function unreadable(cause?: unknown) {
  return internal(
    'build.secret_unreadable',
    'A stored build secret cannot be decrypted: the build secret key changed. Rotate the deploy key and enter the git token again.',
    undefined,
    { cause },
  );
}

/**
 * Reads a configured key: 64 hex digits or base64 of 32 bytes.
 * @throws AppError `config.builds_secret_invalid` (500)
 */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== KEY_BYTES) {
    throw internal(
      'config.builds_secret_invalid',
      'builds.secretKey must be 32 bytes, written as 64 hex digits or in base64 (e.g. `openssl rand -base64 32`).',
    );
  }
  return key;
}

const boxes = new Map<string, Promise<SecretBox>>();

/**
 * The box of the configured key; without one, of the key in `<dataDir>/builds-secret.key`,
 * generated (0600) and announced with a warning on first use. One per process and data directory.
 */
export function secretBox(config: Pick<Config, 'dataDir' | 'builds'>): Promise<SecretBox> {
  const configured = config.builds.secretKey;
  if (configured !== undefined) {
    return Promise.resolve(new SecretBox(parseSecretKey(configured)));
  }
  const file = path.join(config.dataDir, SECRET_FILE);
  let box = boxes.get(file);
  if (box === undefined) {
    box = loadOrCreate(file);
    boxes.set(file, box);
    // A failure is not cached: the next caller tries again.
    box.catch(() => boxes.delete(file));
  }
  return box;
}

async function loadOrCreate(file: string): Promise<SecretBox> {
  await makePrivateDir(path.dirname(file));
  // Written whole under a temporary name, then linked into place: of two processes starting at
  // once, one links its key and the other gets EEXIST and reads that key, never a partial file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, {
    flag: 'wx',
    mode: PRIVATE_FILE_MODE,
  });
  try {
    await link(temp, file);
    log.warn('build', 'no builds.secretKey configured: generated one to encrypt deploy keys', {
      file,
      note: 'every server and worker on this database must read the same key',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err;
    }
  } finally {
    await rm(temp, { force: true });
  }
  return new SecretBox(parseSecretKey(await readFile(file, 'utf8')));
}
