/**
 * `hallmark admin …`: operator commands on the configured storage. Each opens the database (and
 * creates or upgrades its schema), does one thing through the service function the API uses for
 * the same change, with the operator as actor (audit-log actor `cli:<user>`), and closes it; all
 * are safe while the server runs, since they go through the same transactions and checks as the
 * server.
 */
import type { Config } from '../../platform/config.js';
import { openBlobStore } from '../../platform/blobs/index.js';
import { notFound } from '../../platform/errors.js';
import { systemClock } from '../../platform/queue/index.js';
import {
  createCompanyAsStaff,
  findCompanyByName,
  type Company,
} from '../../modules/companies/index.js';
import { registerProject, rotateKey, type CreatedProject } from '../../modules/projects/index.js';
import { collectGarbage, type GcReport } from '../../modules/registry/index.js';
import { projectFacts } from '../../server/ports.js';
import type { ApiContext } from '../../platform/http/api.js';
import { operator, withServices } from './admin-context.js';

/** `admin create-company NAME`. */
export async function adminCreateCompany(
  config: Config,
  name: string,
  json: boolean,
): Promise<string> {
  const by = operator();
  const company = await withServices(config, (ctx) => createCompanyAsStaff(ctx, by, name));
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
  const by = operator();
  const created = await withServices(config, async (ctx) => {
    const company = await companyNamed(ctx, options.company);
    return registerProject(ctx, by, { companyId: company.id, name: options.name });
  });
  return json ? JSON.stringify(created) : describeProject('Created project', created);
}

/** `admin rotate-key PROJECT_ID`. */
export async function adminRotateKey(
  config: Config,
  projectId: string,
  json: boolean,
): Promise<string> {
  const by = operator();
  const project = await withServices(config, (ctx) => rotateKey(ctx, projectFacts, by, projectId));
  const rotated: CreatedProject = {
    id: project.id,
    namespace: project.namespace,
    registryKey: project.registryKey,
  };
  return json ? JSON.stringify(rotated) : describeProject('New registry key for project', rotated);
}

/** `admin gc [--dry-run]`. */
export async function adminGc(config: Config, dryRun: boolean, json: boolean): Promise<string> {
  const by = operator();
  const blobs = await openBlobStore(config);
  const report = await withServices(config, (ctx) =>
    collectGarbage({
      db: ctx.db,
      blobs,
      clock: systemClock,
      graceMs: config.registry.gcGraceMinutes * 60_000,
      uploadTtlMs: config.registry.uploadExpiryMinutes * 60_000,
      dryRun,
      actor: by,
    }),
  );
  return json ? JSON.stringify(report) : describeGc(report, dryRun);
}

/**
 * The company with this name.
 * @throws AppError `company.not_found` (404) naming the command that creates one.
 */
export async function companyNamed(ctx: ApiContext, name: string): Promise<Company> {
  const company = await findCompanyByName(ctx.db, name);
  if (company === undefined) {
    throw notFound(
      'company.not_found',
      `No company is named "${name}"; \`hallmark admin list-companies\` lists them, \`hallmark admin create-company\` creates one.`,
    );
  }
  return company;
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
    ...(r.multipartUploadsAborted > 0
      ? [
          `It ${dryRun ? 'would abort' : 'aborted'} ${r.multipartUploadsAborted} S3 multipart upload(s) no upload knew.`,
        ]
      : []),
    ...(r.spared > 0 ? [`${r.spared} blob(s) were kept because a push started using them.`] : []),
  ].join('\n');
}
