import { expect, it } from 'vitest';
import { IDS_PER_QUERY, mapByIds } from './by-ids.js';

it('looks ids up once each, in chunks the engines accept, and leaves out ids of no row', async () => {
  const ids = Array.from({ length: IDS_PER_QUERY * 2 + 3 }, (_, i) => `id-${i}`);
  const chunks: number[] = [];
  const found = await mapByIds(
    [...ids, ...ids, 'missing'],
    (chunk) => {
      chunks.push(chunk.length);
      return Promise.resolve(
        chunk.filter((id) => id !== 'missing').map((id) => ({ id, name: id.toUpperCase() })),
      );
    },
    (row) => row.id,
  );
  expect(chunks).toEqual([IDS_PER_QUERY, IDS_PER_QUERY, 4]);
  expect(found.size).toBe(ids.length);
  expect(found.get('id-7')).toEqual({ id: 'id-7', name: 'ID-7' });
  expect(found.has('missing')).toBe(false);
});

it('asks nothing for no ids', async () => {
  let asked = false;
  const found = await mapByIds(
    [],
    () => {
      asked = true;
      return Promise.resolve([]);
    },
    (row: { id: string }) => row.id,
  );
  expect(asked).toBe(false);
  expect(found.size).toBe(0);
});
