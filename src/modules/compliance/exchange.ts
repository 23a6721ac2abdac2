/**
 * The exchange after submission: staff decide (approve, defer, ask follow-up questions, decline)
 * and the partner answers follow-up questions; every step is a message, audited and e-mailed.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import type { ExportComplianceMessagesTable, ExportComplianceStatus } from './tables.js';
import { conflict, invalid } from '../../platform/errors.js';
import type { ApiContext } from '../../platform/http/api.js';
import type { Actor } from '../../platform/http/guards.js';
import { audit } from '../audit/index.js';
import { loadCompany } from '../companies/index.js';
import { enqueueMail } from '../mail/index.js';
import { addBusinessDays, TURNAROUND_BUSINESS_DAYS } from './business-days.js';
import {
  addMessage,
  day,
  visibleQuestionnaire,
  who,
  type ComplianceRow,
  type MessageView,
} from './service.js';
import { notifyStaff, orgAdminEmails } from '../accounts/index.js';

type MessageRow = Selectable<ExportComplianceMessagesTable>;

/** A staff decision. */
export type Decision = 'approve' | 'defer' | 'request_information' | 'decline';

const STATUS_OF: Record<Decision, ExportComplianceStatus> = {
  approve: 'approved',
  defer: 'deferred',
  request_information: 'information_requested',
  decline: 'declined',
};

const LABEL_OF: Record<Decision, string> = {
  approve: 'Approved',
  defer: 'Decision deferred',
  request_information: 'More information requested',
  decline: 'Declined',
};

/** Final states: nothing changes any more. */
const FINAL: readonly ExportComplianceStatus[] = ['approved', 'declined'];

/**
 * Records a staff decision; the org admins are e-mailed with it (and the follow-up questions).
 * @throws AppError `export_compliance.decided` (409), `export_compliance.questions_required` / `questions_unexpected` (400)
 */
export async function decide(
  ctx: ApiContext,
  actor: Actor,
  id: string,
  decision: { decision: Decision; note?: string | undefined; questions?: string[] | undefined },
): Promise<ComplianceRow> {
  const questions = decision.questions ?? [];
  if (decision.decision === 'request_information' && questions.length === 0) {
    throw invalid(
      'export_compliance.questions_required',
      'Requesting more information needs at least one follow-up question.',
    );
  }
  if (decision.decision !== 'request_information' && decision.questions !== undefined) {
    throw invalid(
      'export_compliance.questions_unexpected',
      'Follow-up questions go with the request_information decision only.',
    );
  }
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const current = await visibleQuestionnaire(trx, actor.user, id);
    assertOpen(current);
    const at = now.toISOString();
    const row = await trx
      .updateTable('export_compliance')
      .set({
        status: STATUS_OF[decision.decision],
        decided_by: actor.user.id,
        decided_at: at,
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const label = LABEL_OF[decision.decision];
    await addMessage(trx, id, actor, 'decision', note(label, decision.note), now);
    // Timestamps are the table's only order: one millisecond apart keeps the order asked.
    for (const [i, question] of questions.entries()) {
      await addMessage(trx, id, actor, 'question', question, new Date(now.getTime() + i));
    }
    await audit(trx, now, {
      ...who(actor, current.company_id),
      action: `export_compliance.${decision.decision}`,
      targetType: 'export_compliance',
      targetId: id,
      detail: { note: decision.note ?? null, questions },
    });
    await enqueueMail(trx, ctx.queue, {
      template: 'compliance.decision',
      to: await orgAdminEmails(trx, current.company_id),
      subject: `Export compliance questionnaire: ${label}`,
      text: [
        `Decision on your export compliance questionnaire: ${label}.`,
        ...(decision.note === undefined ? [] : ['', decision.note]),
        ...(questions.length === 0
          ? []
          : [
              '',
              'Please answer these follow-up questions:',
              ...questions.map((q, i) => `${i + 1}. ${q}`),
            ]),
        '',
        `${ctx.links.base}/export-compliance/${id}`,
      ].join('\n'),
    });
    return row;
  });
}

/**
 * The partner's answers to the open follow-up questions (each answered) or a free-text reply;
 * the questionnaire goes back to staff with a new target date.
 * @throws AppError `export_compliance.not_awaiting_answers` (409), `export_compliance.question_unknown` / `answers_incomplete` (400)
 */
export async function answerQuestions(
  ctx: ApiContext,
  actor: Actor,
  id: string,
  reply: {
    answers?: { questionId: string; answer: string }[] | undefined;
    text?: string | undefined;
  },
): Promise<ComplianceRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const current = await visibleQuestionnaire(trx, actor.user, id);
    if (current.status !== 'information_requested') {
      throw conflict(
        'export_compliance.not_awaiting_answers',
        `The questionnaire is ${current.status.replace('_', ' ')}; answers are taken only when more information was requested.`,
        { current: current.status },
      );
    }
    const open = await openQuestions(trx, id);
    const body =
      reply.answers === undefined ? (reply.text ?? '') : formatAnswers(open, reply.answers);
    const at = now.toISOString();
    const row = await trx
      .updateTable('export_compliance')
      .set({
        status: 'submitted',
        due_at: addBusinessDays(now, TURNAROUND_BUSINESS_DAYS).toISOString(),
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addMessage(trx, id, actor, 'answer', body, now);
    await audit(trx, now, {
      ...who(actor, current.company_id),
      action: 'export_compliance.answer',
      targetType: 'export_compliance',
      targetId: id,
      detail: { questions: open.length },
    });
    await enqueueMail(trx, ctx.queue, {
      template: 'compliance.answers_received',
      to: await orgAdminEmails(trx, current.company_id),
      subject: 'Export compliance: answers received',
      text: [
        'Your answers to the follow-up questions were received.',
        '',
        `New target date of the evaluation: ${day(row.due_at)}.`,
        `${ctx.links.base}/export-compliance/${id}`,
      ].join('\n'),
    });
    const company = await loadCompany(trx, current.company_id);
    await notifyStaff(trx, ctx, {
      template: 'staff.compliance_answered',
      subject: `Export compliance: ${company.name} answered`,
      text: `${company.name} answered the follow-up questions on its export compliance questionnaire. Decide by ${day(row.due_at)}:`,
      path: `/export-compliance/${id}`,
    });
    return row;
  });
}

/** The exchange of a questionnaire, oldest first, and the questions still open. */
export async function messagesOf(
  db: Kysely<DB>,
  id: string,
): Promise<{ messages: MessageView[]; openQuestions: MessageView[] }> {
  const rows = await db
    .selectFrom('export_compliance_messages')
    .selectAll()
    .where('compliance_id', '=', id)
    .orderBy('created_at')
    .execute();
  const messages = sortMessages(rows).map(toMessageView);
  return { messages, openQuestions: (await openQuestions(db, id)).map(toMessageView) };
}

/** Questions asked after the last answer (all of them before any answer). */
async function openQuestions(db: Kysely<DB>, id: string): Promise<MessageRow[]> {
  const rows = sortMessages(
    await db
      .selectFrom('export_compliance_messages')
      .selectAll()
      .where('compliance_id', '=', id)
      .execute(),
  );
  const lastAnswer = rows.map((r) => r.kind).lastIndexOf('answer');
  return rows.slice(lastAnswer + 1).filter((r) => r.kind === 'question');
}

/** Time order; within one instant a decision comes before its questions, answers last. */
function sortMessages(rows: MessageRow[]): MessageRow[] {
  const rank = { decision: 0, question: 1, answer: 2 } as const;
  return [...rows].sort(
    (a, b) =>
      a.created_at.localeCompare(b.created_at) ||
      rank[a.kind] - rank[b.kind] ||
      a.id.localeCompare(b.id),
  );
}

function formatAnswers(
  open: MessageRow[],
  answers: { questionId: string; answer: string }[],
): string {
  const byId = new Map<string, string>();
  for (const a of answers) {
    if (!open.some((q) => q.id === a.questionId) || byId.has(a.questionId)) {
      throw invalid(
        'export_compliance.question_unknown',
        `Question ${a.questionId} is not an open follow-up question (or is answered twice).`,
        { questionId: a.questionId },
      );
    }
    byId.set(a.questionId, a.answer);
  }
  const missing = open.filter((q) => !byId.has(q.id));
  if (missing.length > 0) {
    throw invalid(
      'export_compliance.answers_incomplete',
      `Answer every open question (${missing.length} left), or reply with text.`,
      { missing: missing.map((q) => q.id) },
    );
  }
  return open.map((q, i) => `${i + 1}. ${q.body}\n${byId.get(q.id) ?? ''}`).join('\n\n');
}

function assertOpen(row: ComplianceRow): void {
  if (FINAL.includes(row.status)) {
    throw conflict(
      'export_compliance.decided',
      `The questionnaire was ${row.status}; it can no longer change.`,
      { current: row.status },
    );
  }
}

function toMessageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    kind: row.kind,
    body: row.body,
    authorId: row.author_id,
    createdAt: row.created_at,
  };
}

function note(label: string, text: string | undefined): string {
  return text === undefined ? label : `${label}: ${text}`;
}
