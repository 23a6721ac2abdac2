/**
 * Talking to the portal API in tests: a real SMTP server that keeps what it receives, and a
 * client with a cookie jar that sends the CSRF token like the web UI will.
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** One received e-mail. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly subject: string;
  /** The decoded text body (quoted-printable soft breaks removed). */
  readonly text: string;
}

/** A local SMTP server started by a test. */
export interface Mailbox {
  readonly url: string;
  readonly messages: ReceivedMail[];
  /** While true, every recipient is refused with a temporary error (451): delivery fails. */
  failing: boolean;
  /** Waits until a message matching `predicate` arrives (polls for up to 10 s). */
  waitFor(predicate: (m: ReceivedMail) => boolean, what?: string): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** Starts an SMTP server on a free loopback port. */
export async function startMailbox(): Promise<Mailbox> {
  const messages: ReceivedMail[] = [];
  const state = { failing: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (state.failing) {
        callback(Object.assign(new Error('mailbox unavailable, try later'), { responseCode: 451 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push(
          parseMail(
            raw,
            session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    async waitFor(predicate, what = 'an e-mail') {
      for (let i = 0; i < 400; i += 1) {
        const found = messages.find(predicate);
        if (found !== undefined) {
          return found;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `${what} never arrived; got: ${messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ')}`,
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split).trim();
  const subject =
    /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
  const qp = /Content-Transfer-Encoding: quoted-printable/i.test(head);
  const text = qp
    ? body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    : body;
  return { from, to, raw, subject: decodeSubject(subject), text };
}

function decodeSubject(subject: string): string {
  return subject.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : data
          .replace(/_/g, ' ')
          .replace(/=([0-9A-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
  );
}

/** The token in a link of an e-mail (`…?token=XYZ`). */
export function linkToken(mail: ReceivedMail): string {
  const m = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (m?.[1] === undefined) {
    throw new Error(`no link token in: ${mail.text}`);
  }
  return m[1];
}

/** An API response; the body is parsed JSON, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A client of `/api/v1` with a cookie jar and the CSRF token of its session. */
export class ApiClient {
  readonly baseUrl: string;
  private cookie: string | undefined;
  private csrf: string | undefined;
  private bearer: string | undefined;

  constructor(baseUrl: string, options: { token?: string } = {}) {
    this.baseUrl = baseUrl;
    this.bearer = options.token;
  }

  /** Logs in; throws unless the login succeeds. */
  async login(login: string, password: string): Promise<this> {
    const res = await this.post('/session', { login, password });
    if (res.status !== 200) {
      throw new Error(`login of ${login} failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return this;
  }

  get(path: string): Promise<ApiResponse> {
    return this.request('GET', path);
  }
  post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request('POST', path, body);
  }
  put(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request('PUT', path, body);
  }
  patch(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request('PATCH', path, body);
  }
  delete(path: string): Promise<ApiResponse> {
    return this.request('DELETE', path);
  }

  /** Sends a request under `/api/v1` (JSON body, or a FormData for uploads). */
  async request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.cookie !== undefined) {
      headers.cookie = this.cookie;
    }
    if (this.csrf !== undefined && method !== 'GET') {
      headers['x-csrf-token'] = this.csrf;
    }
    if (this.bearer !== undefined) {
      headers.authorization = `Bearer ${this.bearer}`;
    }
    let payload: FormData | string | undefined;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie !== null) {
      const value = /hallmark_session=([^;]*)/.exec(setCookie)?.[1];
      this.cookie = value ? `hallmark_session=${value}` : undefined;
    }
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    const parsed: unknown = type.includes('json') && text !== '' ? JSON.parse(text) : text;
    if (path === '/session' && method === 'POST' && res.status === 200) {
      this.csrf = (parsed as { csrfToken: string }).csrfToken;
    }
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
    return { status: res.status, headers: res.headers, body: parsed as ApiResponse['body'] };
  }
}

/** Registers and confirms a user through the API and the mailbox; returns a logged-in client. */
export async function newUser(
  baseUrl: string,
  mailbox: Mailbox,
  login: string,
  password = 'secret-password',
): Promise<ApiClient> {
  const anonymous = new ApiClient(baseUrl);
  const email = `${login}@example.com`;
  const res = await anonymous.post('/accounts', {
    login,
    email,
    password,
    firstName: 'Pat',
    lastName: login,
  });
  if (res.status !== 201) {
    throw new Error(`registration of ${login} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const mail = await mailbox.waitFor(
    (m) => m.to.includes(email) && /confirm/i.test(m.subject),
    `confirmation for ${login}`,
  );
  const confirmed = await anonymous.post('/accounts/confirm', { token: linkToken(mail) });
  if (confirmed.status !== 200) {
    throw new Error(`confirmation failed: ${JSON.stringify(confirmed.body)}`);
  }
  return new ApiClient(baseUrl).login(login, password);
}
