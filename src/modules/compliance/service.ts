/**
 * Export compliance: the partner submits the questionnaire, staff decide (approve, defer, ask
 * follow-up questions, decline) within about five business days; the partner answers questions.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type {
  ExportComplianceMessagesTable,
  ExportComplianceStatus,
  ExportComplianceTable,
} from './tables.js';
import { newId, readJson, writeJson } from '../../platform/db/index.js';
import { conflict, notFound, unprocessable } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import { ownCompany, type AuthUser, type Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { loadCompany } from '../companies/index.js';
import { enqueueMail } from '../mail/index.js';
import { productForCompany } from '../products/index.js';
import { addBusinessDays, TURNAROUND_BUSINESS_DAYS } from './business-days.js';
import { ENC_NOT_ACCEPTED, type ComplianceAnswers } from './questionnaire.js';
import { notifyStaff, orgAdminEmails } from '../accounts/index.js';

/** A questionnaire row. */
export type ComplianceRow = Selectable<ExportComplianceTable>;

/** A questionnaire as the API shows it. */
export interface ComplianceView {
  id: string;
  companyId: string;
  productId: string | null;
  status: ExportComplianceStatus;
  answers: unknown;
  submittedBy: string;
  submittedAt: string;
  /** Target date of the evaluation: five business days after the last submission. */
  dueAt: string;
  /** True while staff owe an answer past the target date. */
  overdue: boolean;
  decidedAt: string | null;
  updatedAt: string;
}

/** A message of the exchange: decision notes, follow-up questions, answers. */
export interface MessageView {
  id: string;
  kind: 'question' | 'answer' | 'decision';
  body: string;
  authorId: string;
  createdAt: string;
}

/** Presents a questionnaire as seen at `now`. */
export function toComplianceView(row: ComplianceRow, now: Date): ComplianceView {
  return {
    id: row.id,
    companyId: row.company_id,
    productId: row.product_id,
    status: row.status,
    answers: readJson(row.answers),
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at,
    dueAt: row.due_at,
    overdue: row.status === 'submitted' && now.toISOString() > row.due_at,
    decidedAt: row.decided_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Submits the questionnaire for the caller's company (optionally for one product); the org
 * admins get a confirmation with the target date.
 * @throws AppError `export_compliance.enc_not_accepted` (422), `product.not_found` (404), `export_compliance.exists` (409)
 */
export async function submitQuestionnaire(
  ctx: ApiContext,
  actor: Actor & { user: { companyId: string } },
  productId: string | undefined,
  answers: ComplianceAnswers,
): Promise<ComplianceRow> {
  if (ENC_NOT_ACCEPTED.includes(answers.licenseExceptionEnc)) {
    throw unprocessable(
      'export_compliance.enc_not_accepted',
      `Applications authorized for export under License Exception ENC §${answers.licenseExceptionEnc} cannot be accepted.`,
      { licenseExceptionEnc: answers.licenseExceptionEnc },
    );
  }
  const companyId = actor.user.companyId;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (productId !== undefined && !(await productForCompany(trx, companyId, productId))) {
      throw notFound('product.not_found', `No product ${productId}.`, { id: productId });
    }
    let open = trx
      .selectFrom('export_compliance')
      .select(['id', 'status'])
      .where('company_id', '=', companyId)
      .where('status', '!=', 'declined');
    open =
      productId === undefined
        ? open.where('product_id', 'is', null)
        : open.where('product_id', '=', productId);
    const existing = await open.executeTakeFirst();
    if (existing !== undefined) {
      throw conflict(
        'export_compliance.exists',
        `A questionnaire for this ${productId === undefined ? 'company' : 'product'} is already ${existing.status.replace('_', ' ')}.`,
        { existingId: existing.id, current: existing.status },
      );
    }
    const at = now.toISOString();
    const row = await trx
      .insertInto('export_compliance')
      .values({
        id: newId(),
        company_id: companyId,
        product_id: productId ?? null,
        answers: writeJson(answers),
        status: 'submitted',
        submitted_by: actor.user.id,
        submitted_at: at,
        due_at: addBusinessDays(now, TURNAROUND_BUSINESS_DAYS).toISOString(),
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, now, {
      ...who(actor, companyId),
      action: 'export_compliance.submit',
      targetType: 'export_compliance',
      targetId: row.id,
      detail: { productId: productId ?? null },
    });
    await enqueueMail(trx, ctx.queue, {
      template: 'compliance.submitted',
      to: await orgAdminEmails(trx, companyId),
      subject: 'Export compliance questionnaire received',
      text: [
        `The export compliance questionnaire submitted by ${answers.legalRepresentative.name} (${answers.legalRepresentative.title}) was received.`,
        '',
        `The evaluation takes about ${TURNAROUND_BUSINESS_DAYS} business days; target date: ${day(row.due_at)}.`,
        `Follow it at ${ctx.links.base}/export-compliance/${row.id}`,
      ].join('\n'),
    });
    const company = await loadCompany(trx, companyId);
    await notifyStaff(trx, ctx, {
      template: 'staff.compliance_submitted',
      subject: `Export compliance questionnaire from ${company.name}`,
      text: `${company.name} submitted an export compliance questionnaire${productId === undefined ? '' : ' for a product'}. Decide by ${day(row.due_at)}:`,
      path: `/export-compliance/${row.id}`,
    });
    return row;
  });
}

/** The id of the questionnaire submitted for a product, if any. */
export async function questionnaireOf(
  db: Kysely<DB>,
  productId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('export_compliance')
    .select('id')
    .where('product_id', '=', productId)
    .executeTakeFirst();
  return row?.id;
}

/** A questionnaire the caller may see (own company, or staff), else 404. */
export async function visibleQuestionnaire(
  db: Kysely<DB>,
  user: AuthUser,
  id: string,
): Promise<ComplianceRow> {
  const row = await db
    .selectFrom('export_compliance')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  ownCompany(user, row?.company_id, 'export_compliance', id);
  return row as ComplianceRow;
}

/** Adds a message to the exchange of a questionnaire. */
export async function addMessage(
  trx: Kysely<DB>,
  complianceId: string,
  actor: Actor,
  kind: ExportComplianceMessagesTable['kind'],
  body: string,
  now: Date,
): Promise<void> {
  await trx
    .insertInto('export_compliance_messages')
    .values({
      id: newId(),
      compliance_id: complianceId,
      author_id: actor.user.id,
      kind,
      body,
      created_at: now.toISOString(),
    })
    .execute();
}

/** `YYYY-MM-DD (Weekday)` of a timestamp, in UTC. */
export function day(iso: string): string {
  const date = new Date(iso);
  const weekday = date.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
  return `${iso.slice(0, 10)} (${weekday})`;
}

/** The audit fields of a change by `actor` on a record of `companyId`. */
export function who(actor: Actor, companyId: string) {
  return { actorId: actor.user.id, actor: actor.user.login, companyId, ip: actor.ip };
}
