/**
 * The two stores answer alike: the same random documents imported into an SQLite file and a
 * PostgreSQL schema give the same reports for the same random images, before and after a second
 * import that replaces, adds and repeats documents.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../platform/db/test-harness.js';
import { importPaths } from './importer.js';
import { createMatcher } from './matcher.js';
import type { VulnIndexLocation } from './store.js';
import { syntheticVexDocument, type SyntheticFix, type SyntheticSpec } from './synthetic.js';
import type { MatchInput, MatchPackage } from './types.js';
import { SEVERITIES } from './values.js';

const database = await freshPostgresDatabase();

/** A small seeded generator (mulberry32): the same data on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = Array.from({ length: 40 }, (_, i) => `pkg${i}`);
const CPES = [
  'cpe:/o:redhat:enterprise_linux:9::baseos',
  'cpe:/a:redhat:enterprise_linux:9::appstream',
  'cpe:/o:redhat:enterprise_linux:8::baseos',
  'cpe:/o:redhat:rhel_eus:9.2::baseos',
  'cpe:/a:redhat:openshift:4.14::el9',
];
const REPOS = {
  'rhel-9-baseos': ['cpe:/o:redhat:enterprise_linux:9::baseos'],
  'rhel-9-eus-9.2': ['cpe:/o:redhat:rhel_eus:9.2::baseos'],
  'ocp-4.14': ['cpe:/a:redhat:openshift:4.14::el9'],
};

/** Documents with fixes (some modular, some with epochs) and other states, in random shapes. */
function documents(rand: () => number, count: number, revision: string): SyntheticSpec[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const specs: SyntheticSpec[] = [];
  for (let i = 0; i < count; i++) {
    const day = 1 + Math.floor(rand() * 700);
    const date = new Date(Date.UTC(2023, 0, day)).toISOString();
    const fixes: SyntheticFix[] = [];
    for (let f = Math.floor(rand() * 4); f > 0; f--) {
      const modular = rand() < 0.15;
      fixes.push({
        cpe: pick(CPES),
        name: pick(NAMES),
        evr: `${rand() < 0.1 ? '1:' : ''}1.${Math.floor(rand() * 5)}-${1 + Math.floor(rand() * 9)}.el9${rand() < 0.5 ? `_${Math.floor(rand() * 4)}` : ''}`,
        advisory: `RHSA-2024:${1000 + Math.floor(rand() * 9000)}`,
        date,
        ...(modular ? { module: `mod:${1 + Math.floor(rand() * 2)}:9020020240101:abc` } : {}),
      });
    }
    specs.push({
      cve: `CVE-2024-${String(10_000 + i)}`,
      severity: pick(SEVERITIES),
      currentRelease: date,
      revision,
      fixes,
      statuses: rand() < 0.3 ? [{ cpe: pick(CPES), name: pick(NAMES), state: 'will_not_fix' }] : [],
    });
  }
  return specs;
}

/** Images with random installed builds of the same names, on RHEL 9 or through content sets. */
function images(rand: () => number, count: number): MatchInput[] {
  const inputs: MatchInput[] = [];
  for (let i = 0; i < count; i++) {
    const packages: MatchPackage[] = NAMES.filter(() => rand() < 0.5).map((name) => ({
      name,
      epoch: rand() < 0.1 ? 1 : null,
      version: `1.${Math.floor(rand() * 5)}`,
      release: `${1 + Math.floor(rand() * 9)}.el9`,
      arch: rand() < 0.05 ? null : 'x86_64',
      modularitylabel: rand() < 0.15 ? `mod:${1 + Math.floor(rand() * 2)}:9020020240101:abc` : null,
    }));
    const sets = Object.keys(REPOS).filter(() => rand() < 0.4);
    inputs.push({
      packages,
      contentSets: sets,
      osRelease: { ID: 'rhel', VERSION_ID: rand() < 0.5 ? '9.2' : '9.4' },
    });
  }
  return inputs;
}

describe.skipIf(database === undefined)('the SQLite and PostgreSQL stores', () => {
  let dir: string;
  const stores: VulnIndexLocation[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hallmark-vuln-agree-'));
    stores.push({ store: 'sqlite', file: join(dir, 'vulndb.sqlite') });
    stores.push({ store: 'postgres', url: database?.url ?? '' });
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes documents under `name` and imports them into both stores. */
  async function importBoth(name: string, specs: SyntheticSpec[], map = false): Promise<void> {
    const docs = join(dir, name);
    await mkdir(docs, { recursive: true });
    for (const spec of specs) {
      await writeFile(join(docs, `${spec.cve}.json`), JSON.stringify(syntheticVexDocument(spec)));
    }
    if (map) {
      await writeFile(join(docs, 'repository-to-cpe.json'), JSON.stringify(REPOS));
    }
    const summaries = [];
    for (const store of stores) {
      summaries.push(await importPaths([docs], store));
    }
    const [sqlite, postgres] = summaries.map((s) => ({ ...s, skipped: s.skipped.length }));
    expect(postgres).toEqual(sqlite);
  }

  /** The reports of every image from both stores, plain and as a memoized batch. */
  async function expectSameReports(inputs: MatchInput[], now: Date): Promise<void> {
    const answers = [];
    for (const store of stores) {
      const plain = await createMatcher(store);
      const batch = await createMatcher(store, { memoize: true });
      try {
        const one = [];
        for (const input of inputs) {
          one.push(await plain.match(input, now));
        }
        expect(await batch.matchMany(inputs, now)).toEqual(one);
        answers.push(one);
      } finally {
        await plain.close();
        await batch.close();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
    // Not a vacuous comparison: some images do miss errata.
    expect(answers[0]?.some((r) => r.vulnerabilities.length > 0)).toBe(true);
  }

  it('should give the same reports for the same documents and images', async () => {
    const rand = random(20_261_207);
    await importBoth('first', documents(rand, 300, '1'), true);
    await expectSameReports(images(rand, 60), new Date('2025-01-15T00:00:00Z'));
  });

  it('should still agree after a second import replaces, adds and repeats documents', async () => {
    const rand = random(42);
    // The same ids with new content (revision 2 replaces), plus new ones, plus the first again.
    await importBoth('second', documents(rand, 400, '2'));
    await importBoth('first-again', documents(random(20_261_207), 300, '1'));
    await expectSameReports(images(rand, 60), new Date('2025-06-01T00:00:00Z'));
  });
});
