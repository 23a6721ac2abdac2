/**
 * "Distribution approval due": staff are told once when a project has every required checklist
 * item done but distribution approval, the one item only they can complete. The mark
 * (`approval_due_notified_at`) is cleared when staff decide, so a project whose approval was
 * withdrawn is announced again once it is ready again.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { loadCompany } from '../companies/index.js';
import { type NotifyContext } from '../mail/index.js';
import { projectChecklist } from './checklist.js';
import type { ProjectFacts } from './facts.js';
import { notifyStaff } from '../accounts/index.js';

/**
 * Notifies staff, inside `trx`, when the project now waits only for distribution approval and
 * they were not told yet; returns whether it did. Called after the changes that usually finish
 * a checklist: an image passing its scan and a change of the project's settings.
 */
export async function notifyIfApprovalDue(
  trx: Kysely<DB>,
  ctx: NotifyContext,
  facts: ProjectFacts,
  projectId: string,
): Promise<boolean> {
  const project = await trx
    .selectFrom('projects')
    .select(['id', 'name', 'company_id', 'distribution_approved_at', 'approval_due_notified_at'])
    .where('id', '=', projectId)
    .executeTakeFirst();
  if (
    project === undefined ||
    project.distribution_approved_at !== null ||
    project.approval_due_notified_at !== null
  ) {
    return false;
  }
  const { items } = await projectChecklist(trx, facts, projectId);
  const ready = items.every(
    (i) => !i.required || i.state === 'done' || i.key === 'distribution_approval',
  );
  if (!ready) {
    return false;
  }
  // Conditional, so two changes finishing at once send one e-mail.
  const marked = await trx
    .updateTable('projects')
    .set({ approval_due_notified_at: ctx.queue.clock.now().toISOString() })
    .where('id', '=', projectId)
    .where('approval_due_notified_at', 'is', null)
    .executeTakeFirst();
  if (marked.numUpdatedRows === 0n) {
    return false;
  }
  const company = await loadCompany(trx, project.company_id);
  await notifyStaff(trx, ctx, {
    template: 'staff.approval_due',
    subject: `Distribution approval due: project ${project.name} of ${company.name}`,
    text: `Project "${project.name}" of ${company.name} has completed every required checklist item except distribution approval. Review it and approve (or not) its distribution:`,
    path: `/projects/${project.id}/checklist`,
  });
  return true;
}
