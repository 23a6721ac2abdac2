/** Product logos and collateral with blobs in S3 (a real Ceph RGW), garbage collection included. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../platform/config.js';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { systemClock } from '../../platform/queue/index.js';
import {
  newPartner,
  startPortal,
  type Partner,
  type Portal,
} from '../../../test/support/portal.js';
import { describeS3, testS3 } from '../../../test/support/s3.js';
import { collectGarbage } from '../registry/index.js';

const s3 = await testS3();

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');

function form(bytes: Buffer, fileName: string, fields: Record<string, string> = {}): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    data.append(k, v);
  }
  data.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  return data;
}

describeS3(s3, 'product files on S3', (bucket) => {
  describeDb(
    'logos and collateral',
    (t) => {
      let portal: Portal;
      let acme: Partner;
      let config: Config;

      beforeAll(async () => {
        config = {
          ...t.config,
          blobs: {
            driver: 's3',
            dir: t.config.blobs.dir,
            s3: bucket.settings({ prefix: 'files/' }),
          },
        };
        // The harness's context, with the blob store moved to the bucket.
        const onS3: DbTestContext = Object.create(t, {
          config: { get: () => config },
        }) as DbTestContext;
        portal = await startPortal(onS3);
        acme = await newPartner(portal, t.db, 'acme');
      });
      afterAll(() => portal.close());

      const download = async (path: string) => {
        const token = (await acme.member.post('/me/tokens', { name: `dl-${Math.random()}` })).body
          .token as string;
        const res = await fetch(`${portal.server.url}/api/v1${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
      };

      it('should store, serve, keep through gc and finally collect logos and collateral', async () => {
        const created = await acme.admin.post('/products', {
          name: 'Acme plugin',
          overview: 'Demo',
          description: '<p>Demo</p>',
          productTypes: ['Networking'],
          productUrl: 'https://www.acme.com',
          contacts: ['pm@acme.com'],
          versions: ['1.x'],
        });
        const id = created.body.id as string;
        expect((await acme.admin.put(`/products/${id}/logo`, form(PNG, 'logo.png'))).status).toBe(
          200,
        );
        const doc = await acme.admin.post(
          `/products/${id}/collateral`,
          form(PDF, 'sheet.pdf', { title: 'Data sheet' }),
        );
        expect(doc.status).toBe(201);
        expect(await download(`/products/${id}/logo`)).toEqual({ status: 200, bytes: PNG });
        const path = `/products/${id}/collateral/${doc.body.id as string}`;
        expect(await download(path)).toEqual({ status: 200, bytes: PDF });

        const gc = () =>
          collectGarbage({ db: t.db, blobs: portal.server.blobs, clock: systemClock, graceMs: 0 });
        expect((await gc()).blobsDeleted).toBe(0);
        expect((await download(`/products/${id}/logo`)).bytes.equals(PNG)).toBe(true);

        expect((await acme.admin.delete(path)).status).toBe(204);
        expect((await acme.admin.delete(`/products/${id}/logo`)).status).toBe(200);
        expect(await gc()).toMatchObject({ blobsDeleted: 2, multipartUploadsAborted: 0 });
        const left = [];
        for await (const digest of portal.server.blobs.list()) {
          left.push(digest);
        }
        expect(left).toEqual([]);
      });
    },
    { dialects: ['postgres'] },
  );
});
