import { readFileSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { limitRequestWaits, startLocalServer } from '../../../test/support/local-http.js';
import type { LocalServer } from '../../../test/support/local-http.js';
import { describeStores } from '../../../test/support/vuln-stores.js';
import type { VulnIndexLocation } from './store.js';
import { syncIndex, type SyncOptions } from './sync.js';

const ARCHIVE_NAME = 'csaf_vex_2023-10-31.tar.zst';
const DROP_AT = 2000;

/** A static server in Red Hat's CSAF VEX layout that can drop the archive download once. */
class LayoutServer {
  readonly files = new Map<string, Buffer>();
  readonly requests: Array<{ path: string; range: string | undefined }> = [];
  dropArchiveOnce = false;
  readonly failOnce = new Set<string>();
  private server: LocalServer | undefined;

  async start(): Promise<string> {
    this.server = await startLocalServer((req, res) => this.handle(req, res));
    return `${this.server.url}/data/csaf/v2/vex`;
  }

  /** Stops the server; resolves at once when it was never started (a failed beforeEach). */
  async stop(): Promise<void> {
    await this.server?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').replace(/^\/data\/csaf\/v2\/vex\//, '');
    this.requests.push({ path, range: req.headers.range });
    const body = this.files.get(path);
    if (this.failOnce.delete(path)) {
      res.writeHead(503).end();
      return;
    }
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      res.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (path === ARCHIVE_NAME && this.dropArchiveOnce) {
      this.dropArchiveOnce = false;
      // A clean FIN after the partial body (a reset could discard bytes the client has not read).
      res.write(body.subarray(0, DROP_AT), () => res.socket?.end());
      return;
    }
    res.end(body);
  }

  fetched(path: string): Array<string | undefined> {
    return this.requests.filter((r) => r.path === path).map((r) => r.range);
  }
}

const vex = (rel: string): Buffer => readFileSync(fixture(`external/redhat-csaf/vex/${rel}`));
const csv = (rows: Array<[string, string]>): Buffer =>
  Buffer.from(rows.map(([p, t]) => `"${p}","${t}"`).join('\n') + '\n');

limitRequestWaits();

describeStores('syncIndex', (t) => {
  let dir: string;
  let db: VulnIndexLocation;
  let server: LayoutServer;
  let base: string;

  /** Syncs `db`; the archive goes beside an SQLite index, and into `dir` for PostgreSQL. */
  const sync = (opts: SyncOptions = {}) =>
    syncIndex(base, db, db.store === 'postgres' ? { workDir: dir, ...opts } : opts);

  beforeEach(async () => {
    db = t.fresh();
    dir = db.store === 'sqlite' ? dirname(db.file) : await mkdtemp(join(t.dir, 'sync-'));
    server = new LayoutServer();
    server.files.set('archive_latest.txt', Buffer.from(`${ARCHIVE_NAME}\n`));
    server.files.set(ARCHIVE_NAME, vex(`claircore/${ARCHIVE_NAME}`));
    server.files.set('2023/cve-2023-38545.json', vex('claircore/cve-2023-38545.json'));
    server.files.set(
      '2023/cve-2023-0049.json',
      Buffer.from('{"not": "fetched: older than the archive"'),
    );
    server.files.set(
      '2024/cve-2024-99999.json',
      Buffer.from('{"document": {"category": "csaf_vex", "trunc'),
    );
    server.files.set('2024/cve-2024-10041.json', vex('trivy-db/cve-2024-10041.json'));
    server.files.set(
      'changes.csv',
      csv([
        ['2024/cve-2024-99999.json', '2023-11-06T10:00:00+00:00'],
        ['2023/cve-2023-38545.json', '2023-11-05T10:00:00+00:00'],
        ['2023/cve-2023-0049.json', '2023-10-01T00:00:00+00:00'],
      ]),
    );
    server.files.set(
      'deletions.csv',
      csv([['2023/cve-2023-0030.json', '2023-11-07T00:00:00+00:00']]),
    );
    base = await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  const documents = async (): Promise<string[]> => {
    try {
      return (await t.query<{ cve: string }>(db, 'SELECT cve FROM documents ORDER BY cve')).map(
        (r) => r.cve,
      );
    } catch {
      return []; // no index (yet)
    }
  };

  it('should download the archive once, resuming after a dropped connection, then apply only changes', async () => {
    server.dropArchiveOnce = true;
    const first = await sync();
    expect(server.fetched(ARCHIVE_NAME)).toEqual([undefined, `bytes=${DROP_AT}-`]);
    expect(first).toMatchObject({
      archive: ARCHIVE_NAME,
      resumedFrom: DROP_AT,
      imported: 6,
      deleted: 1,
      fetched: 2,
      lastSync: '2023-11-07T00:00:00.000Z',
      documents: 5,
    });
    expect(first.skipped).toEqual([
      {
        source: `${base}/2024/cve-2024-99999.json`,
        reason: expect.stringMatching(/^not valid JSON/),
      },
    ]);
    expect(server.fetched('2023/cve-2023-0049.json')).toEqual([]);
    expect(await documents()).toEqual([
      'CVE-2023-0044',
      'CVE-2023-0045',
      'CVE-2023-0049',
      'CVE-2023-0051',
      'CVE-2023-38545',
    ]);
    // The downloaded archive is not kept once imported.
    await expect(stat(join(dir, ARCHIVE_NAME))).rejects.toThrow();
    await expect(stat(join(dir, `${ARCHIVE_NAME}.part`))).rejects.toThrow();

    server.files.set(
      'changes.csv',
      csv([
        ['2024/cve-2024-10041.json', '2024-12-18T10:00:00+00:00'],
        ['2024/cve-2024-99999.json', '2023-11-06T10:00:00+00:00'],
        ['2023/cve-2023-38545.json', '2023-11-05T10:00:00+00:00'],
      ]),
    );
    server.requests.length = 0;
    const second = await sync();
    expect(second).toMatchObject({
      archive: null,
      imported: 1,
      fetched: 1,
      deleted: 0,
      skipped: [],
      documents: 6,
    });
    expect(second.lastSync).toBe('2024-12-18T10:00:00.000Z');
    expect(server.requests.map((r) => r.path).sort()).toEqual([
      '2024/cve-2024-10041.json',
      'changes.csv',
      'deletions.csv',
    ]);
  });

  it('should keep the partial download when every attempt fails, and resume it on the next run', async () => {
    server.dropArchiveOnce = true;
    await expect(sync({ attempts: 1 })).rejects.toMatchObject({
      code: 'vulndb.download_interrupted',
      message: expect.stringContaining(`stopped after ${DROP_AT} bytes`),
    });
    expect((await stat(join(dir, `${ARCHIVE_NAME}.part`))).size).toBe(DROP_AT);
    expect(await documents()).toEqual([]);
    const resumed = await sync({ attempts: 1 });
    expect(resumed).toMatchObject({ archive: ARCHIVE_NAME, resumedFrom: DROP_AT, imported: 6 });
  });

  it('should not move past a document it could not fetch, so the next run retries it', async () => {
    server.failOnce.add('2023/cve-2023-38545.json');
    const summary = await sync();
    expect(summary.skipped).toContainEqual({
      source: `${base}/2023/cve-2023-38545.json`,
      reason: `cannot fetch ${base}/2023/cve-2023-38545.json: HTTP 503`,
    });
    expect(summary.lastSync).toBe('2023-11-05T09:59:59.999Z');
    const again = await sync();
    expect(again).toMatchObject({
      archive: null,
      imported: 1,
      lastSync: '2023-11-07T00:00:00.000Z',
    });
  });

  it('should skip a listed document the server no longer has and move on', async () => {
    server.files.delete('2023/cve-2023-38545.json');
    const summary = await sync();
    expect(summary.skipped).toContainEqual({
      source: `${base}/2023/cve-2023-38545.json`,
      reason: 'listed in changes.csv but not found (HTTP 404)',
    });
    expect(summary.lastSync).toBe('2023-11-07T00:00:00.000Z');
  });

  it('should say what is wrong with a base URL that does not serve the layout', async () => {
    server.files.set('archive_latest.txt', Buffer.from('<html>oops</html>'));
    await expect(sync()).rejects.toMatchObject({
      code: 'vulndb.sync_invalid',
      message: `${base}/archive_latest.txt should name a .tar.zst archive, got "<html>oops</html>"`,
    });
  });
});
