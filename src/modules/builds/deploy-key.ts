/**
 * Deploy keys: ed25519 key pairs made with node:crypto and written in OpenSSH's own formats (the
 * `ssh-ed25519 AAAA… comment` public line and the `openssh-key-v1` private key ssh reads), so the
 * server needs no ssh-keygen to make one. Also SHA256 fingerprints as `ssh-keygen -l` prints them.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { invalid } from '../../platform/errors.js';

/** A deploy key: the public line to copy into the git host, and the private key for ssh. */
export interface DeployKey {
  /** `ssh-ed25519 AAAA… comment`. */
  readonly publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----…`, unencrypted (encrypt it at rest). */
  readonly privateKey: string;
  /** `SHA256:…` of the public key, as `ssh-keygen -l` shows it. */
  readonly fingerprint: string;
}

/**
 * Makes a new ed25519 deploy key.
 * @param comment the public line's comment, e.g. `hallmark-project-42`; printable ASCII only
 */
export function generateDeployKey(comment: string): DeployKey {
  if (!/^[\x21-\x7e]*$/.test(comment)) {
    throw invalid(
      'build.deploy_key.comment',
      'A deploy key comment is printable ASCII without spaces.',
    );
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = base64url(publicKey.export({ format: 'jwk' }).x);
  const seed = base64url(privateKey.export({ format: 'jwk' }).d);
  const blob = publicBlob(pub);
  const line = `ssh-ed25519 ${blob.toString('base64')}${comment === '' ? '' : ` ${comment}`}`;
  return {
    publicKey: line,
    privateKey: privateKeyText(pub, seed, comment),
    fingerprint: fingerprintOfBlob(blob),
  };
}

/**
 * The `SHA256:…` fingerprint of a public key line (`ssh-ed25519 AAAA… [comment]`) or of a
 * `known_hosts` line (`host ssh-ed25519 AAAA…`).
 * @throws AppError `build.ssh_key.invalid` when no key is found in the line
 */
export function sshFingerprint(line: string): string {
  const fields = line.trim().split(/\s+/);
  const at = fields.findIndex((f) => KEY_TYPE.test(f));
  const key = at < 0 ? undefined : fields[at + 1];
  if (key === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    throw invalid('build.ssh_key.invalid', 'The line holds no ssh public key.');
  }
  return fingerprintOfBlob(Buffer.from(key, 'base64'));
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+)$/;
const KEY_TYPE_NAME = 'ssh-ed25519';

function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function base64url(text: string | undefined): Buffer {
  if (text === undefined) {
    throw new Error('node:crypto exported an ed25519 JWK without its key material');
  }
  return Buffer.from(text, 'base64url');
}

/** SSH wire encoding: a uint32 length, then the bytes. */
function sshString(bytes: Buffer | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function publicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE_NAME), sshString(pub)]);
}

/** The unencrypted `openssh-key-v1` format of OpenSSH's PROTOCOL.key. */
function privateKeyText(pub: Buffer, seed: Buffer, comment: string): string {
  const check = randomBytes(4);
  const section = [
    check,
    check,
    sshString(KEY_TYPE_NAME),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])), // ed25519 "secret key" = seed ‖ public key
    sshString(comment),
  ];
  let length = section.reduce((n, b) => n + b.length, 0);
  for (let pad = 1; length % 8 !== 0; pad++, length++) {
    section.push(Buffer.from([pad])); // padding 1, 2, 3, … up to the cipher block size (8)
  }
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'), // cipher
    sshString('none'), // kdf
    sshString(''), // kdf options
    uint32(1),
    sshString(publicBlob(pub)),
    sshString(Buffer.concat(section)),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    ...lines,
    '-----END OPENSSH PRIVATE KEY-----',
    '',
  ].join('\n');
}
