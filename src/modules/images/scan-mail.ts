/**
 * The e-mail a partner gets when the scan of a pushed image finishes: passed, failed (with each
 * failing required assessment, its reason and how to fix it) or not scannable. It goes to the
 * org admins of the project's company and to the user who created the project, each only if
 * they want notifications. A passed scan may also leave the project waiting only for
 * distribution approval, which staff are then told (`facts` answers the project's checklist).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { notifiedMemberEmails } from '../accounts/index.js';
import { firstActorOf } from '../audit/index.js';
import { notify, type NotifyContext } from '../mail/index.js';
import { findProject, notifyIfApprovalDue, type ProjectFacts } from '../projects/index.js';
import { findRepositoryById } from '../registry/index.js';
import { readScan } from './report.js';

/**
 * Queues, inside `trx`, the scan-finished e-mail of an image whose result is stored; nothing
 * when the image is gone or still being scanned.
 */
export async function enqueueScanFinishedMail(
  trx: Kysely<DB>,
  ctx: NotifyContext,
  facts: ProjectFacts,
  imageId: string,
): Promise<void> {
  const row = await trx
    .selectFrom('images')
    .select(['id', 'tag', 'digest', 'status', 'result', 'repository_id', 'project_id'])
    .where('id', '=', imageId)
    .executeTakeFirst();
  if (row === undefined || row.status === 'scan_in_progress') {
    return;
  }
  const repository = await findRepositoryById(trx, row.repository_id);
  const project = await findProject(trx, row.project_id);
  if (repository === undefined || project === undefined) {
    return; // As if the image were gone: repositories and projects outlive their images.
  }
  const image = {
    ...row,
    reference: `${repository.name}:${row.tag}`,
    project: project.name,
    company_id: project.company_id,
  };
  const creator = await firstActorOf(trx, 'project.create', image.project_id);
  const to = await notifiedMemberEmails(
    trx,
    image.company_id,
    creator === undefined ? [] : [creator],
  );
  const reference = image.reference;
  const scan = readScan(image.result);
  const head = `The certification scan of ${reference} (project "${image.project}", ${image.digest})`;
  let subject: string;
  let text: string;
  if (image.status === 'passed') {
    subject = `Scan passed: ${reference}`;
    text = `${head} passed: the image meets every required check. It can be published.`;
  } else if (image.status === 'failed') {
    const failing = scan.assessments.filter((a) => a.required && a.outcome !== 'pass');
    subject = `Scan failed: ${reference}`;
    text = [
      `${head} failed ${failing.length === 1 ? 'a required check' : `${failing.length} required checks`}:`,
      ...failing.flatMap((a) => [
        '',
        `* ${a.name}: ${a.reason}`,
        `  How to fix it: ${a.suggestion}`,
      ]),
      '',
      'Fix the image, push it again and it is scanned again. The full report:',
    ].join('\n');
  } else {
    subject = `Scan error: ${reference}`;
    text = `${head} could not be done: ${scan.error?.message ?? 'the image could not be read'}${scan.error?.code ? ` (${scan.error.code})` : ''}. Check that the image is a complete container image and push it again. Details:`;
  }
  await notify(trx, ctx, to, {
    template: `image.scan_${image.status}`,
    subject,
    text,
    path: `/images/${image.id}`,
  });
  if (image.status === 'passed') {
    await notifyIfApprovalDue(trx, ctx, facts, image.project_id);
  }
}
