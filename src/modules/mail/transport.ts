/**
 * Delivery: SMTP through nodemailer when `mail.smtpUrl` is set, otherwise one `.eml` file per
 * message under `<dataDir>/mail` (the embedded default, readable by any mail client).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import type { Config } from '../../platform/config.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../platform/private-files.js';

/** Sends one message; resolves when the server (or the disk) has it. */
export type MailSender = (message: {
  id: string;
  to: string[];
  subject: string;
  text: string;
}) => Promise<void>;

/** The settings that decide where mail goes. */
type MailTarget = { readonly mail: Pick<Config['mail'], 'smtpUrl' | 'from' | 'dir'> };

/** The sender the configuration asks for. */
export function createMailSender(config: MailTarget): MailSender {
  const from = config.mail.from;
  if (config.mail.smtpUrl !== undefined) {
    const transport = nodemailer.createTransport(config.mail.smtpUrl);
    return async (m) => {
      await transport.sendMail(await composeMail(from, m, 'windows'));
    };
  }
  const dir = config.mail.dir;
  return async (m) => {
    const { raw } = await composeMail(from, m, 'unix');
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = emlPath(dir, m.id);
    // Written aside and renamed: a reader never sees half a message, and two deliveries of one
    // message (a retry racing the first attempt) never share a temporary file.
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    // Messages carry confirmation and reset links: for the server's user only.
    await writeFile(temp, raw, { mode: PRIVATE_FILE_MODE });
    await rename(temp, file);
  };
}

/** The `.eml` file of outbox message `id` under `dir`. */
export function emlPath(dir: string, id: string): string {
  return path.join(dir, `${id}.eml`);
}

/** Longest line, in bytes, a 7bit or 8bit body may have (RFC 5322 §2.1.1). */
const MAX_LINE_BYTES = 998;

/**
 * A `text/plain` body that goes out as it is written: 7bit when it is ASCII, 8bit otherwise, so
 * a link in it stays whole on its line for whoever copies it from the message source or an
 * `.eml` file (nodemailer alone turns any line past 76 characters into quoted-printable, whose
 * soft breaks cut long URLs). A body with a line too long for 8bit keeps nodemailer's choice.
 */
class PlainTextNode extends MimeNode {
  private readonly sendAsIs: '7bit' | '8bit' | undefined;

  constructor(text: string, newline: 'unix' | 'windows') {
    super('text/plain; charset=utf-8', { newline });
    this.setContent(text);
    const lines = text.split(/\r?\n/);
    this.sendAsIs = lines.some((l) => Buffer.byteLength(l) > MAX_LINE_BYTES)
      ? undefined
      : Buffer.byteLength(text) === text.length
        ? '7bit'
        : '8bit';
  }

  override getTransferEncoding(): string {
    return this.sendAsIs ?? super.getTransferEncoding();
  }
}

/** The message as bytes, with the envelope SMTP needs to send it. */
async function composeMail(
  from: string,
  m: Parameters<MailSender>[0],
  newline: 'unix' | 'windows',
): Promise<{ raw: Buffer; envelope: MimeNode.Envelope }> {
  const node = new PlainTextNode(m.text, newline);
  node.setHeader('From', from);
  node.setHeader('To', m.to);
  node.setHeader('Subject', m.subject);
  node.setHeader('Message-ID', `<${m.id}@hallmark>`);
  return { raw: await node.build(), envelope: node.getEnvelope() };
}

/**
 * Checks that mail can leave: the SMTP server accepts a connection (and the credentials of the
 * URL), or the `.eml` directory can be written. Resolves with where mail goes.
 * @throws the transport's error when it cannot
 */
export async function verifyMailTransport(config: MailTarget): Promise<string> {
  if (config.mail.smtpUrl !== undefined) {
    const url = new URL(config.mail.smtpUrl);
    const transport = nodemailer.createTransport(config.mail.smtpUrl);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
    return `SMTP server ${url.host} accepts connections`;
  }
  await mkdir(config.mail.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const probe = path.join(config.mail.dir, `.probe-${process.pid}`);
  await writeFile(probe, '');
  await rm(probe, { force: true });
  return `no SMTP server configured: e-mails are written as .eml files under ${config.mail.dir}`;
}
