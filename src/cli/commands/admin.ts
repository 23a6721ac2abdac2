/**
 * `hallmark admin …`: operator commands on the configured storage. Each opens the database (and
 * creates or upgrades its schema), does one thing, and closes it; all are safe while the server
 * runs, since they go through the same transactions and checks as the server.
 */
import type { Config } from '../../platform/config.js';
import { FsBlobStore } from '../../platform/blobs/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../platform/db/index.js';
import { notFound } from '../../platform/errors.js';
import { systemClock } from '../../platform/queue/index.js';
import {
  createCompany,
  createProject,
  findCompanyByName,
  rotateRegistryKey,
  type CreatedProject,
} from '../../modules/projects/index.js';
import { collectGarbage, type GcReport } from '../../modules/registry/index.js';

async function withDatabase<T>(config: Config, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** `admin create-company NAME`. */
export async function adminCreateCompany(
  config: Config,
  name: string,
  json: boolean,
): Promise<string> {
  const company = await withDatabase(config, (d) => createCompany(d.db, name, systemClock.now()));
  return json
    ? JSON.stringify({ id: company.id, name: company.name })
    : `Created company "${company.name}" (${company.id}).`;
}

/** `admin create-project --company NAME --name NAME [--json]`. */
export async function adminCreateProject(
  config: Config,
  options: { company: string; name: string },
  json: boolean,
): Promise<string> {
  const created = await withDatabase(config, async (d) => {
    const company = await findCompanyByName(d.db, options.company);
    if (company === undefined) {
      throw notFound(
        'company.not_found',
        `No company is named "${options.company}"; create it with \`hallmark admin create-company\`.`,
      );
    }
    return createProject(d.db, { companyId: company.id, name: options.name }, systemClock.now());
  });
  return json ? JSON.stringify(created) : describeProject('Created project', created);
}

/** `admin rotate-key PROJECT_ID`. */
export async function adminRotateKey(
  config: Config,
  projectId: string,
  json: boolean,
): Promise<string> {
  const rotated = await withDatabase(config, (d) => rotateRegistryKey(d.db, projectId));
  return json ? JSON.stringify(rotated) : describeProject('New registry key for project', rotated);
}

/** `admin gc [--dry-run]`. */
export async function adminGc(config: Config, dryRun: boolean, json: boolean): Promise<string> {
  const report = await withDatabase(config, (d) =>
    collectGarbage({
      db: d.db,
      blobs: new FsBlobStore(config.blobs.dir),
      clock: systemClock,
      graceMs: config.registry.gcGraceMinutes * 60_000,
      dryRun,
    }),
  );
  return json ? JSON.stringify(report) : describeGc(report, dryRun);
}

function describeProject(title: string, p: CreatedProject): string {
  return [
    `${title} ${p.id}`,
    `  registry namespace: ${p.namespace}`,
    `  registry key:       ${p.registryKey}`,
    '  (the key is shown only now; log in with any user name and the key as password)',
  ].join('\n');
}

function describeGc(r: GcReport, dryRun: boolean): string {
  const verb = dryRun ? 'would delete' : 'deleted';
  return [
    `Garbage collection ${verb} ${r.blobsDeleted} blob(s) (${r.bytesFreed} bytes), ${r.orphanFilesDeleted} orphaned file(s) and ${r.uploadsDiscarded} abandoned upload(s).`,
    ...(r.spared > 0 ? [`${r.spared} blob(s) were kept because a push started using them.`] : []),
  ].join('\n');
}
