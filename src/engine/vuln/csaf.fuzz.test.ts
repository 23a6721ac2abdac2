/**
 * Fuzzing the CSAF VEX importer with mutations of Red Hat's documents in test/fixtures/external
 * (see test/support/fuzz.ts for the budgets and the FUZZ_SEED / FUZZ_RUNS / FUZZ_PATH knobs):
 * values replaced by hostile JSON or deleted, deep product trees, byte mutations and random
 * bytes. A document is parsed or refused with an AppError (`vulndb.document_invalid`,
 * `vulndb.mapping_invalid`), never a TypeError or a stack overflow that the importer would
 * otherwise record as the reason a document was skipped.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import {
  FuzzTarget,
  fuzzParams,
  mutated,
  mutatedJson,
  typedError,
} from '../../../test/support/fuzz.js';
import { AppError } from '../../platform/errors.js';
import { parseVexDocument } from './csaf.js';
import { isNvrMap, isRepositoryMap, parseRepositoryMap } from './repo-map.js';

const raw = (rel: string): Buffer => readFileSync(fixture(`external/redhat-csaf/vex/${rel}`));
const json = (rel: string) =>
  JSON.parse(raw(rel).toString('utf8')) as Parameters<typeof mutatedJson>[0];
const SMALL = [
  'claircore/cve-2024-24786-simple.json',
  'trivy-db/cve-2024-10041.json',
  'trivy-db/cve-2024-11111.json',
  'trivy-db/cve-2024-22222.json',
  'trivy-db/cve-2025-33333.json',
];
const MAPS = ['trivy-db/repository-to-cpe.json', 'trivy-db/nvr-to-cpe.json'];

/** What the importer does with one file's bytes (ImportSession.offer without the database). */
function importBytes(data: Buffer): void {
  const doc: unknown = JSON.parse(data.toString('utf8'));
  if (isNvrMap(doc)) {
    return;
  }
  if (isRepositoryMap(doc)) {
    parseRepositoryMap(doc);
    return;
  }
  parseVexDocument(doc);
}

/**
 * A real document whose product tree is nested `depth` branches deep, written as text (too deep
 * for JSON.stringify).
 */
function deepTree(depth: number): Buffer {
  const doc = JSON.stringify({ ...(json(SMALL[0] ?? '') as object), product_tree: 'TREE' });
  const open = '{"category":"vendor","name":"x","branches":['.repeat(depth);
  const tree = `{"branches":[${open}{"product":{"product_id":"x"}}${']}'.repeat(depth)}]}`;
  return Buffer.from(doc.replace('"TREE"', tree));
}

const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null');
const documents = fc.oneof(
  { arbitrary: fc.oneof(...SMALL.map((f) => mutatedJson(json(f), 6))).map(bytes), weight: 8 },
  { arbitrary: fc.oneof(...MAPS.map((f) => mutatedJson(json(f), 3))).map(bytes), weight: 1 },
  { arbitrary: fc.oneof(...SMALL.map((f) => mutated(raw(f), 6))), weight: 3 },
  {
    arbitrary: fc.integer({ min: 1, max: 20_000 }).map(deepTree),
    weight: 1,
  },
  { arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)), weight: 1 },
);
const typed = typedError(AppError);

describe('CSAF VEX importer under fuzzing', () => {
  it('parses a document or refuses it with an AppError', () => {
    const target = new FuzzTarget('csaf', (err) => err instanceof SyntaxError || typed(err));
    fc.assert(
      fc.property(documents, (data) => {
        target.call(() => importBytes(data));
      }),
      fuzzParams(3000),
    );
    target.expectBothOutcomes();
  });
});
