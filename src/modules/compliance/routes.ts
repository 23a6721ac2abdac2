/** Export compliance routes: the questionnaire, the staff decision and follow-up answers. */
import { z } from 'zod';
import type { Api, ApiContext } from '../../platform/http/api.js';
import { keysetPage, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import {
  companyScope,
  requireOrgAdmin,
  requireStaff,
  requireUser,
} from '../../platform/http/guards.js';
import { ComplianceAnswers } from './questionnaire.js';
import { answerQuestions, decide, messagesOf } from './exchange.js';
import { submitQuestionnaire, toComplianceView, visibleQuestionnaire } from './service.js';

const TAGS = ['export compliance'];

const STATUSES = [
  'submitted',
  'approved',
  'deferred',
  'information_requested',
  'declined',
] as const;

const ComplianceSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  productId: z.string().nullable(),
  status: z.enum(STATUSES),
  answers: z.unknown(),
  submittedBy: z.string(),
  submittedAt: z.string(),
  /** Target date: five business days after the last submission. */
  dueAt: z.string(),
  /** Staff owe an answer past the target date. */
  overdue: z.boolean(),
  decidedAt: z.string().nullable(),
  updatedAt: z.string(),
});
const MessageSchema = z.object({
  id: z.string(),
  kind: z.enum(['question', 'answer', 'decision']),
  body: z.string(),
  authorId: z.string(),
  createdAt: z.string(),
});
const DetailSchema = ComplianceSchema.extend({
  messages: z.array(MessageSchema),
  /** Follow-up questions not answered yet (answer them by id). */
  openQuestions: z.array(MessageSchema),
});
const Params = z.object({ id: z.uuid() });
const longText = (max: number) => z.string().trim().min(1).max(max);

/** Registers the export compliance routes. */
export function complianceRoutes(api: Api, ctx: ApiContext): void {
  const detail = async (row: Parameters<typeof toComplianceView>[0]) => ({
    ...toComplianceView(row, ctx.clock.now()),
    ...(await messagesOf(ctx.db, row.id)),
  });

  api.post(
    '/export-compliance',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Submit the export compliance questionnaire (org admins)',
        body: z
          .object({
            /** The product the questionnaire is for; company-wide when left out. */
            productId: z.uuid().optional(),
            answers: ComplianceAnswers,
          })
          .strict(),
        response: { 201: DetailSchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const row = await submitQuestionnaire(
        ctx,
        { user, ip: request.ip },
        request.body.productId,
        request.body.answers,
      );
      return reply.code(201).send(await detail(row));
    },
  );

  api.get(
    '/export-compliance',
    {
      config: { auth: 'memberOrStaff' },
      schema: {
        tags: TAGS,
        summary: "The company's questionnaires (staff: all, or one company's)",
        querystring: z.object({
          status: z.enum(STATUSES).optional(),
          /** Staff only. */
          companyId: z.uuid().optional(),
          /**
           * `submitted` (default): the newest submission first; `due`: the earliest target date
           * first, so a review queue starts with the overdue ones.
           */
          order: z.enum(['submitted', 'due']).default('submitted'),
          ...pagingQuery(100),
        }),
        response: { 200: pageSchema(ComplianceSchema) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      let query = ctx.db.selectFrom('export_compliance').selectAll();
      const companyId = companyScope(user, request.query.companyId);
      if (companyId !== undefined) {
        query = query.where('company_id', '=', companyId);
      }
      if (request.query.status !== undefined) {
        query = query.where('status', '=', request.query.status);
      }
      // Newest submission first, then by id (as before); or the earliest target date first.
      const page = await keysetPage(query, {
        keys: [
          request.query.order === 'due'
            ? { ref: 'due_at', value: (r) => r.due_at }
            : { ref: 'submitted_at', value: (r) => r.submitted_at, direction: 'desc' },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'asc',
        pageSize: request.query.pageSize,
        cursor: request.query.cursor,
      });
      const now = ctx.clock.now();
      return { ...page, items: page.items.map((row) => toComplianceView(row, now)) };
    },
  );

  api.get(
    '/export-compliance/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'A questionnaire with its decisions, questions and answers',
        params: Params,
        response: { 200: DetailSchema },
      },
    },
    async (request) =>
      detail(await visibleQuestionnaire(ctx.db, requireUser(request), request.params.id)),
  );

  api.post(
    '/export-compliance/:id/decision',
    {
      config: { auth: 'staff' },
      schema: {
        tags: TAGS,
        summary: 'Approve, defer, request more information or decline (staff)',
        params: Params,
        body: z
          .object({
            decision: z.enum(['approve', 'defer', 'request_information', 'decline']),
            /** Told to the partner. */
            note: longText(5000).optional(),
            /** Follow-up questions (request_information only, at least one). */
            questions: z.array(longText(2000)).max(50).optional(),
          })
          .strict(),
        response: { 200: DetailSchema },
      },
    },
    async (request) => {
      const user = requireStaff(request);
      const row = await decide(ctx, { user, ip: request.ip }, request.params.id, request.body);
      return detail(row);
    },
  );

  api.post(
    '/export-compliance/:id/answers',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Answer the follow-up questions (org admins)',
        params: Params,
        body: z
          .object({
            /** One answer per open question. */
            answers: z
              .array(z.object({ questionId: z.uuid(), answer: longText(10_000) }).strict())
              .min(1)
              .max(50)
              .optional(),
            /** Or one free-text reply. */
            text: longText(20_000).optional(),
          })
          .strict()
          .refine((b) => (b.answers === undefined) !== (b.text === undefined), {
            message: 'Send either answers or text',
          }),
        response: { 200: DetailSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      const row = await answerQuestions(
        ctx,
        { user, ip: request.ip },
        request.params.id,
        request.body,
      );
      return detail(row);
    },
  );
}
