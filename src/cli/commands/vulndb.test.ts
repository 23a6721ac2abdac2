import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { limitRequestWaits, startLocalServer } from '../../../test/support/local-http.js';
import { openVulnerabilityData } from '../../engine/vuln/index.js';
import { defaultVulndbPath, formatVulndbSummary, vulndbImport, vulndbSync } from './vulndb.js';

let dir: string;

limitRequestWaits();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hallmark-cli-vulndb-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vulndb import', () => {
  it('should build an index that check --vulndb can open, creating its directory', async () => {
    const db = join(dir, 'cache', 'hallmark', 'vulndb.sqlite');
    const summary = await vulndbImport([fixture('external/redhat-csaf/vex/trivy-db')], { db });
    expect(summary).toMatchObject({ imported: 4, repositories: 1, documents: 4 });
    expect(formatVulndbSummary(summary)).toBe(
      [
        '4 imported, 0 replaced, 0 unchanged, 0 older than the stored version, 0 deleted, 1 skipped',
        'repository mapping: 1 repositories',
        'index holds 4 document(s)',
        `skipped ${fixture('external/redhat-csaf/vex/trivy-db/nvr-to-cpe.json')}: an NVR-to-CPE mapping, which Hallmark does not use`,
        '',
      ].join('\n'),
    );
    const opened = await openVulnerabilityData(db);
    expect('matcher' in opened).toBe(true);
    if ('matcher' in opened) {
      await opened.matcher.close();
    }
  });

  it('should refuse to run without paths', async () => {
    await expect(vulndbImport([], { db: join(dir, 'x.sqlite') })).rejects.toMatchObject({
      code: 'vulndb.no_paths',
      exitCode: 2,
    });
  });
});

describe('vulndb sync', () => {
  it('should refuse what is not an http(s) URL', async () => {
    for (const url of ['security.access.redhat.com', 'file:///etc/passwd']) {
      await expect(vulndbSync(url, { db: join(dir, 'x.sqlite') })).rejects.toMatchObject({
        code: 'vulndb.bad_url',
        exitCode: 2,
      });
    }
  });

  it('should seed the index from the archive a base URL names', async () => {
    const archive = readFileSync(
      fixture('external/redhat-csaf/vex/claircore/csaf_vex_2023-10-31.tar.zst'),
    );
    const server = await startLocalServer((req, res) => {
      if (req.url === '/vex/archive_latest.txt') {
        res.end('csaf_vex_2023-10-31.tar.zst');
      } else if (req.url === '/vex/csaf_vex_2023-10-31.tar.zst') {
        res.end(archive);
      } else {
        res.writeHead(404).end();
      }
    });
    try {
      const summary = await vulndbSync(`${server.url}/vex`, {
        db: join(dir, 'sub', 'v.sqlite'),
      });
      expect(summary).toMatchObject({
        archive: 'csaf_vex_2023-10-31.tar.zst',
        imported: 5,
        fetched: 0,
      });
      expect(formatVulndbSummary(summary)).toContain(
        'archive csaf_vex_2023-10-31.tar.zst downloaded\n',
      );
    } finally {
      await server.close();
    }
  });
});

describe('defaultVulndbPath', () => {
  it('should use the XDG cache directory, else ~/.cache', () => {
    expect(defaultVulndbPath({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe(
      '/x/cache/hallmark/vulndb.sqlite',
    );
    expect(defaultVulndbPath({}, '/home/u')).toBe('/home/u/.cache/hallmark/vulndb.sqlite');
  });
});
