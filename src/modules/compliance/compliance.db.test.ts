import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb, type DbTestContext } from '../../platform/db/test-harness.js';
import { newId } from '../../platform/db/index.js';
import type { RunningServer } from '../../server/server.js';
import { ApiClient, type Mailbox } from '../../../test/support/api.js';
import { newPartner, newProduct, startPortal } from '../../../test/support/portal.js';
import type { Partner, Portal } from '../../../test/support/portal.js';
import { addBusinessDays } from './business-days.js';

/** A partner whose product the questionnaires are about. */
type ProductPartner = Partner & { productId: string };

const answers = (overrides: Record<string, unknown> = {}) => ({
  containsCryptography: true,
  cryptography: {
    functions: 'TLS for the management API',
    algorithms: ['AES', 'RSA', 'SHA-256'],
    keyLengths: 'AES-256, RSA-2048',
    usesOperatingSystemCryptoOnly: true,
  },
  massMarket: true,
  licenseExceptionEnc: 'not_applicable',
  eccn: '5D992.c',
  countriesOfDevelopment: ['US', 'DE'],
  legalRepresentative: { name: 'Lee Gal', title: 'General Counsel', email: 'legal@acme.com' },
  ...overrides,
});

async function snapshot(t: DbTestContext) {
  const rows = await t.db
    .selectFrom('export_compliance')
    .select(['id', 'status', 'due_at', 'updated_at'])
    .orderBy('id')
    .execute();
  const messages = await t.db
    .selectFrom('export_compliance_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { rows, messages: Number(messages.n) };
}

describeDb('export compliance API', (t) => {
  let portal: Portal;
  let server: RunningServer;
  let mailbox: Mailbox;
  let staff: ApiClient;
  let acme: ProductPartner;
  let other: ProductPartner;

  async function partner(name: string): Promise<ProductPartner> {
    const p = await newPartner(portal, t.db, name);
    return { ...p, productId: await newProduct(t.db, p) };
  }

  beforeAll(async () => {
    portal = await startPortal(t);
    ({ server, mailbox, staff } = portal);
    acme = await partner('acme');
    other = await partner('globex');
  });
  afterAll(() => portal.close());

  it('should take the questionnaire, set a 5-business-day target and confirm by e-mail', async () => {
    const res = await acme.admin.post('/export-compliance', {
      productId: acme.productId,
      answers: answers(),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      companyId: acme.companyId,
      productId: acme.productId,
      status: 'submitted',
      overdue: false,
      messages: [],
      openQuestions: [],
    });
    expect(res.body.answers.legalRepresentative.title).toBe('General Counsel');
    expect(res.body.dueAt).toBe(
      addBusinessDays(new Date(res.body.submittedAt as string), 5).toISOString(),
    );
    const mail = await mailbox.waitFor(
      (m) => m.subject === 'Export compliance questionnaire received',
    );
    expect(mail.to).toEqual(['acme-admin@example.com']);
    expect(mail.text).toContain(`target date: ${(res.body.dueAt as string).slice(0, 10)}`);
    const list = await acme.member.get('/export-compliance');
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([res.body.id]);
    const audit = await t.db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'export_compliance.submit')
      .where('target_id', '=', res.body.id as string)
      .execute();
    expect(audit).toEqual([{ actor: 'acme-admin' }]);
  });

  it('should refuse bad answers, duplicates and ENC exceptions, changing nothing', async () => {
    const before = await snapshot(t);
    const outbox = await t.db.selectFrom('outbox').selectAll().execute();
    const cases: [unknown, number, string][] = [
      [{ answers: answers({ containsCryptography: undefined }) }, 400, 'request.invalid'],
      [{ answers: answers({ cryptography: undefined }) }, 400, 'request.invalid'],
      [{ answers: answers({ containsCryptography: false }) }, 400, 'request.invalid'],
      [{ answers: answers({ eccn: 'ABC' }) }, 400, 'request.invalid'],
      [{ answers: answers({ countriesOfDevelopment: [] }) }, 400, 'request.invalid'],
      [{ answers: answers({ countriesOfDevelopment: ['usa'] }) }, 400, 'request.invalid'],
      [
        { answers: answers({ legalRepresentative: { name: 'X', title: 'Y', email: 'nope' } }) },
        400,
        'request.invalid',
      ],
      [{ answers: answers({ additionalInformation: 'x'.repeat(10_001) }) }, 400, 'request.invalid'],
      [{ answers: answers(), extra: true }, 400, 'request.invalid'],
      [{}, 400, 'request.invalid'],
      [{ productId: 'nope', answers: answers() }, 400, 'request.invalid'],
      [
        { answers: answers({ licenseExceptionEnc: '740.17(b)(2)' }) },
        422,
        'export_compliance.enc_not_accepted',
      ],
      [
        { answers: answers({ licenseExceptionEnc: '740.17(a)' }) },
        422,
        'export_compliance.enc_not_accepted',
      ],
      [{ productId: other.productId, answers: answers() }, 404, 'product.not_found'],
      [{ productId: newId(), answers: answers() }, 404, 'product.not_found'],
      [{ productId: acme.productId, answers: answers() }, 409, 'export_compliance.exists'],
    ];
    for (const [body, status, code] of cases) {
      const res = await acme.admin.post('/export-compliance', body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 100)).toEqual([
        status,
        code,
      ]);
    }
    expect(await snapshot(t)).toEqual(before);
    expect(await t.db.selectFrom('outbox').selectAll().execute()).toEqual(outbox);
  });

  it('should let org admins submit and answer; staff decide', async () => {
    const before = await snapshot(t);
    const byMember = await acme.member.post('/export-compliance', { answers: answers() });
    expect([byMember.status, byMember.body.code]).toEqual([403, 'auth.org_admin_only']);
    expect((await staff.post('/export-compliance', { answers: answers() })).status).toBe(403);
    const id = (await acme.admin.get('/export-compliance')).body.items[0].id as string;
    const byPartner = await acme.admin.post(`/export-compliance/${id}/decision`, {
      decision: 'approve',
    });
    expect([byPartner.status, byPartner.body.code]).toEqual([403, 'auth.staff_only']);
    const memberAnswer = await acme.member.post(`/export-compliance/${id}/answers`, { text: 'x' });
    expect(memberAnswer.status).toBe(403);
    expect((await new ApiClient(server.url).get('/export-compliance')).status).toBe(401);
    expect(await snapshot(t)).toEqual(before);
    const all = await staff.get('/export-compliance?status=submitted');
    expect(all.body.items.map((i: { id: string }) => i.id)).toContain(id);
  });

  it('should run the follow-up exchange until a final decision', async () => {
    const id = (await acme.admin.get('/export-compliance')).body.items[0].id as string;
    const before = await snapshot(t);
    const noQuestions = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'request_information',
    });
    expect([noQuestions.status, noQuestions.body.code]).toEqual([
      400,
      'export_compliance.questions_required',
    ]);
    const stray = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'approve',
      questions: ['Why?'],
    });
    expect(stray.body.code).toBe('export_compliance.questions_unexpected');
    const badDecision = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'maybe',
    });
    expect(badDecision.body.code).toBe('request.invalid');
    const early = await acme.admin.post(`/export-compliance/${id}/answers`, { text: 'Hi' });
    expect([early.status, early.body.code]).toEqual([
      409,
      'export_compliance.not_awaiting_answers',
    ]);
    expect(await snapshot(t)).toEqual(before);

    const asked = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'request_information',
      note: 'We need details.',
      questions: ['Which TLS library?', 'Is source code published?'],
    });
    expect(asked.status).toBe(200);
    expect(asked.body.status).toBe('information_requested');
    expect(asked.body.messages.map((m: { kind: string }) => m.kind)).toEqual([
      'decision',
      'question',
      'question',
    ]);
    expect(asked.body.openQuestions).toHaveLength(2);
    const mail = await mailbox.waitFor((m) => m.subject.includes('More information requested'));
    expect(mail.to).toEqual(['acme-admin@example.com']);
    expect(mail.text).toContain('1. Which TLS library?');
    expect(mail.text).toContain('2. Is source code published?');
    expect(mail.text).toContain('We need details.');

    const [q1, q2] = asked.body.openQuestions as { id: string }[];
    const mid = await snapshot(t);
    const partial = await acme.admin.post(`/export-compliance/${id}/answers`, {
      answers: [{ questionId: q1?.id, answer: 'OpenSSL 3 of RHEL' }],
    });
    expect([partial.status, partial.body.code]).toEqual([
      400,
      'export_compliance.answers_incomplete',
    ]);
    const stranger = await acme.admin.post(`/export-compliance/${id}/answers`, {
      answers: [
        { questionId: q1?.id, answer: 'a' },
        { questionId: newId(), answer: 'b' },
      ],
    });
    expect(stranger.body.code).toBe('export_compliance.question_unknown');
    const both = await acme.admin.post(`/export-compliance/${id}/answers`, {
      text: 'x',
      answers: [{ questionId: q1?.id, answer: 'a' }],
    });
    expect(both.body.code).toBe('request.invalid');
    expect(await snapshot(t)).toEqual(mid);

    const answered = await acme.admin.post(`/export-compliance/${id}/answers`, {
      answers: [
        { questionId: q2?.id, answer: 'Yes, on GitHub.' },
        { questionId: q1?.id, answer: 'OpenSSL 3 of RHEL' },
      ],
    });
    expect(answered.status).toBe(200);
    expect(answered.body.status).toBe('submitted');
    expect(answered.body.openQuestions).toEqual([]);
    const answer = answered.body.messages.at(-1) as { kind: string; body: string };
    expect(answer.kind).toBe('answer');
    expect(answer.body).toBe(
      '1. Which TLS library?\nOpenSSL 3 of RHEL\n\n2. Is source code published?\nYes, on GitHub.',
    );
    expect(answered.body.dueAt >= asked.body.dueAt).toBe(true);
    await mailbox.waitFor((m) => m.subject === 'Export compliance: answers received');

    const deferred = await staff.post(`/export-compliance/${id}/decision`, { decision: 'defer' });
    expect(deferred.body.status).toBe('deferred');
    const approved = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'approve',
      note: 'Cleared.',
    });
    expect(approved.body.status).toBe('approved');
    await mailbox.waitFor((m) => m.subject === 'Export compliance questionnaire: Approved');
    const final = await snapshot(t);
    const again = await staff.post(`/export-compliance/${id}/decision`, { decision: 'decline' });
    expect([again.status, again.body.code]).toEqual([409, 'export_compliance.decided']);
    const late = await acme.admin.post(`/export-compliance/${id}/answers`, { text: 'More' });
    expect(late.status).toBe(409);
    const dup = await acme.admin.post('/export-compliance', {
      productId: acme.productId,
      answers: answers(),
    });
    expect(dup.body.code).toBe('export_compliance.exists');
    expect(await snapshot(t)).toEqual(final);
    const actions = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', id)
      .orderBy('at')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'export_compliance.submit',
      'export_compliance.request_information',
      'export_compliance.answer',
      'export_compliance.defer',
      'export_compliance.approve',
    ]);
  });

  it('should take a free-text reply, flag overdue evaluations, and allow a new try after a decline', async () => {
    const created = await other.admin.post('/export-compliance', {
      answers: answers({ containsCryptography: false, cryptography: undefined }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await t.db
      .updateTable('export_compliance')
      .set({ due_at: '2020-01-01T00:00:00.000Z' })
      .where('id', '=', id)
      .execute();
    expect((await other.admin.get(`/export-compliance/${id}`)).body.overdue).toBe(true);
    const listed = await staff.get(`/export-compliance?companyId=${other.companyId}`);
    expect(listed.body.items[0].overdue).toBe(true);

    await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'request_information',
      questions: ['Where is it sold?'],
    });
    const reply = await other.admin.post(`/export-compliance/${id}/answers`, {
      text: 'Worldwide except embargoed countries.',
    });
    expect(reply.body).toMatchObject({ status: 'submitted', overdue: false, openQuestions: [] });
    expect(reply.body.dueAt > '2020-01-01').toBe(true);

    const declined = await staff.post(`/export-compliance/${id}/decision`, {
      decision: 'decline',
      note: 'Not eligible.',
    });
    expect(declined.body.status).toBe('declined');
    const mail = await mailbox.waitFor(
      (m) => m.subject === 'Export compliance questionnaire: Declined',
    );
    expect(mail.to).toEqual(['globex-admin@example.com']);
    expect(mail.text).toContain('Not eligible.');
    const retry = await other.admin.post('/export-compliance', {
      answers: answers({ containsCryptography: false, cryptography: undefined }),
    });
    expect(retry.status).toBe(201);
  });

  it("should hide a company's questionnaires from another company", async () => {
    const id = (await acme.admin.get('/export-compliance')).body.items[0].id as string;
    const before = await snapshot(t);
    for (const who of [other.admin, other.member]) {
      const list = await who.get(`/export-compliance?companyId=${acme.companyId}`);
      expect(
        list.body.items.every((i: { companyId: string }) => i.companyId === other.companyId),
      ).toBe(true);
      const read = await who.get(`/export-compliance/${id}`);
      expect([read.status, read.body.code]).toEqual([404, 'export_compliance.not_found']);
    }
    const write = await other.admin.post(`/export-compliance/${id}/answers`, { text: 'x' });
    expect([write.status, write.body.code]).toEqual([404, 'export_compliance.not_found']);
    const unknown = await staff.post(`/export-compliance/${newId()}/decision`, {
      decision: 'approve',
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'export_compliance.not_found']);
    expect(await snapshot(t)).toEqual(before);
  });
});
