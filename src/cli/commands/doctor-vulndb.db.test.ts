/** `hallmark doctor`'s vulndb check on both metadata databases, each with its own index. */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { describeLocation, importPaths } from '../../engine/vuln/index.js';
import type { Config } from '../../platform/config.js';
import { describeDb } from '../../platform/db/test-harness.js';
import { runDoctor } from './doctor.js';

const vulndbCheck = async (config: Config) =>
  (await runDoctor(config)).find((c) => c.name === 'vulndb');

describeDb('hallmark doctor: vulnerability data', (t) => {
  it('should keep the index where the metadata is, fail without data and pass with it', async () => {
    const index = t.config.scan.vulndb;
    // PostgreSQL metadata: the index is a schema of the same database, no file.
    expect(index).toEqual(
      t.dialect === 'postgres'
        ? { store: 'postgres', url: expect.stringMatching(/^postgres:/) }
        : { store: 'sqlite', file: join(t.config.dataDir, 'vulndb.sqlite') },
    );
    expect(await vulndbCheck(t.config)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`No vulnerability data at ${describeLocation(index)}`),
    });
    await importPaths([fixture('external/redhat-csaf/vex/trivy-db')], index);
    expect(await vulndbCheck(t.config)).toMatchObject({
      status: 'ok',
      detail: `4 documents at ${describeLocation(index)}, 0 days old`,
    });
  });

  if (t.dialect === 'postgres') {
    it('should warn when a cluster on PostgreSQL is told to read an index file', async () => {
      const file = join(t.config.dataDir, 'shared.sqlite');
      await importPaths([fixture('external/redhat-csaf/vex/trivy-db')], file);
      const config: Config = {
        ...t.config,
        scan: { ...t.config.scan, vulndb: { store: 'sqlite', file } },
      };
      expect(await vulndbCheck(config)).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining(
          'scan.vulndb names a file while the metadata is on PostgreSQL',
        ),
      });
    });
  }
});
