/**
 * Delivery: SMTP through nodemailer when `mail.smtpUrl` is set, otherwise one `.eml` file per
 * message under `<dataDir>/mail` (the embedded default, readable by any mail client).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../../platform/config.js';

/** Sends one message; resolves when the server (or the disk) has it. */
export type MailSender = (message: {
  id: string;
  to: string[];
  subject: string;
  text: string;
}) => Promise<void>;

/** The sender the configuration asks for. */
export function createMailSender(config: Pick<Config, 'mail'>): MailSender {
  const from = config.mail.from;
  if (config.mail.smtpUrl !== undefined) {
    const transport = nodemailer.createTransport(config.mail.smtpUrl);
    return async (m) => {
      await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: `<${m.id}@hallmark>`,
      });
    };
  }
  const dir = config.mail.dir;
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return async (m) => {
    const info = await composer.sendMail({
      from,
      to: m.to,
      subject: m.subject,
      text: m.text,
      messageId: `<${m.id}@hallmark>`,
    });
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${m.id}.eml`);
    // Written aside and renamed: a reader never sees half a message, and two deliveries of one
    // message (a retry racing the first attempt) never share a temporary file.
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, info.message as Buffer);
    await rename(temp, file);
  };
}

/**
 * Checks that mail can leave: the SMTP server accepts a connection (and the credentials of the
 * URL), or the `.eml` directory can be written. Resolves with where mail goes.
 * @throws the transport's error when it cannot
 */
export async function verifyMailTransport(config: Pick<Config, 'mail'>): Promise<string> {
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
  await mkdir(config.mail.dir, { recursive: true });
  const probe = path.join(config.mail.dir, `.probe-${process.pid}`);
  await writeFile(probe, '');
  await rm(probe, { force: true });
  return `no SMTP server configured: e-mails are written as .eml files under ${config.mail.dir}`;
}
