/** Account routes: registration, confirmation, sessions, password reset, profile, API tokens. */
import { keysetPage, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { z } from 'zod';
import type { Api, ApiContext, ApiModule } from '../../platform/http/api.js';
import { notFound } from '../../platform/errors.js';
import { plainLine } from '../../platform/text.js';
import { audit } from '../audit/index.js';
import {
  changePassword,
  completePasswordLink,
  confirmEmail,
  createApiToken,
  login,
  logout,
  register,
  requestPasswordReset,
  userView,
} from './accounts.js';
import { SESSION_COOKIE } from './auth.js';
import { requireUser } from '../../platform/http/guards.js';
import { LoginName } from './login-name.js';

/** A user as the API returns it. */
export const UserSchema = z.object({
  id: z.string(),
  login: z.string(),
  email: z.string(),
  greeting: z.string().nullable(),
  firstName: z.string(),
  lastName: z.string(),
  suffix: z.string().nullable(),
  position: z.string().nullable(),
  department: z.string().nullable(),
  phone: z.string().nullable(),
  companyId: z.string().nullable(),
  orgAdmin: z.boolean(),
  staff: z.boolean(),
  /** Gets notification e-mails: staff about work waiting for them, partners about scan results. */
  notify: z.boolean(),
  status: z.enum(['unconfirmed', 'active', 'inactive', 'disabled']),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastAccessAt: z.string().nullable(),
});

/** Text fields: trimmed, bounded. */
export const text = (max: number) => z.string().trim().min(1).max(max);
export const optionalText = (max: number) => z.string().trim().max(max).optional();

const Password = z.string().min(1).max(1024);
/** A first or last name: plain text on one line (it goes into e-mail and the audit log). */
const PersonName = plainLine(100);
const SessionSchema = z.object({ user: UserSchema, csrfToken: z.string().nullable() });

/** The accounts API module. */
export const accountsModule: ApiModule = { name: 'accounts', routes: accountRoutes };

/** Registers the account routes. */
function accountRoutes(api: Api, ctx: ApiContext): void {
  api.post(
    '/accounts',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['accounts'],
        summary: 'Register a login (an e-mail confirmation link is sent)',
        body: z.object({
          login: LoginName,
          email: z.email().max(254),
          password: Password,
          firstName: PersonName,
          lastName: PersonName,
        }),
        response: { 201: UserSchema },
      },
    },
    async (request, reply) => {
      const user = await register(ctx, request.body, request.ip);
      return reply.code(201).send(userView(user));
    },
  );

  api.post(
    '/accounts/confirm',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['accounts'],
        summary: 'Confirm an e-mail address with the link token',
        body: z.object({ token: z.string().min(1).max(200) }),
        response: { 200: UserSchema },
      },
    },
    async (request) => userView(await confirmEmail(ctx, request.body.token, request.ip)),
  );

  api.post(
    '/accounts/password-reset',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['accounts'],
        summary: 'E-mail a password-reset link (same answer whether or not the account exists)',
        body: z.object({ login: z.string().trim().min(1).max(254) }),
        response: { 202: z.object({ status: z.literal('sent if the account exists') }) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(ctx, request.body.login, request.ip);
      return reply.code(202).send({ status: 'sent if the account exists' as const });
    },
  );

  api.post(
    '/accounts/password',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['accounts'],
        summary: 'Set a password with a reset or invitation link token',
        body: z.object({ token: z.string().min(1).max(200), password: Password }),
        response: { 200: UserSchema },
      },
    },
    async (request) =>
      userView(
        await completePasswordLink(ctx, request.body.token, request.body.password, request.ip),
      ),
  );

  api.post(
    '/session',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['accounts'],
        summary: 'Log in: sets the session cookie and returns the CSRF token for changes',
        body: z.object({ login: z.string().min(1).max(254), password: Password }),
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => {
      const session = await login(ctx, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
      void reply.setCookie(SESSION_COOKIE, session.sessionToken, {
        httpOnly: true,
        sameSite: 'lax',
        // HTTPS as the public URL says, or as the request came (through a trusted proxy).
        secure:
          (ctx.config.server.publicUrl?.startsWith('https:') ?? false) ||
          request.protocol === 'https',
        path: '/',
        expires: session.expiresAt,
      });
      return { user: userView(session.user), csrfToken: session.csrfToken };
    },
  );

  api.get(
    '/session',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'The current user and CSRF token',
        response: { 200: SessionSchema },
      },
    },
    async (request) => {
      const auth = requireUser(request);
      const user = await ctx.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', auth.id)
        .executeTakeFirstOrThrow();
      return { user: userView(user), csrfToken: auth.csrfToken ?? null };
    },
  );

  api.delete(
    '/session',
    {
      config: { auth: 'public' },
      schema: { tags: ['accounts'], summary: 'Log out', response: { 204: z.null() } },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie !== undefined) {
        await logout(ctx, cookie);
      }
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  api.patch(
    '/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'Update my profile (the login never changes)',
        body: z
          .object({
            greeting: optionalText(20),
            firstName: PersonName.optional(),
            lastName: PersonName.optional(),
            suffix: optionalText(20),
            position: optionalText(100),
            department: optionalText(100),
            phone: optionalText(40),
            email: z.email().max(254).optional(),
            /** Notification e-mails on (true) or off; account e-mails are always sent. */
            notify: z.boolean().optional(),
          })
          .strict(),
        response: { 200: UserSchema },
      },
    },
    async (request) => {
      const auth = requireUser(request);
      const b = request.body;
      const now = ctx.clock.now();
      return ctx.db.transaction().execute(async (trx) => {
        const user = await trx
          .updateTable('users')
          .set({
            updated_at: now.toISOString(),
            ...(b.greeting !== undefined ? { greeting: b.greeting } : {}),
            ...(b.firstName !== undefined ? { first_name: b.firstName } : {}),
            ...(b.lastName !== undefined ? { last_name: b.lastName } : {}),
            ...(b.suffix !== undefined ? { suffix: b.suffix } : {}),
            ...(b.position !== undefined ? { position: b.position } : {}),
            ...(b.department !== undefined ? { department: b.department } : {}),
            ...(b.phone !== undefined ? { phone: b.phone } : {}),
            ...(b.email !== undefined ? { email: b.email } : {}),
            ...(b.notify !== undefined ? { notify: b.notify ? 1 : 0 } : {}),
          })
          .where('id', '=', auth.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, now, {
          actorId: auth.id,
          actor: auth.login,
          companyId: auth.companyId,
          action: 'account.update',
          targetType: 'user',
          targetId: auth.id,
          ip: request.ip,
          detail: { fields: Object.keys(b) },
        });
        return userView(user);
      });
    },
  );

  api.put(
    '/me/password',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'Change my password (the current one is required); my other sessions end',
        body: z
          .object({
            /** The password in use now. */
            currentPassword: Password,
            /** The new password (at least `accounts.passwordMinLength` characters). */
            newPassword: Password,
          })
          .strict(),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      await changePassword(ctx, auth, request.body, {
        ip: request.ip,
        sessionToken: auth.via === 'session' ? request.cookies[SESSION_COOKIE] : undefined,
      });
      return reply.code(204).send(null);
    },
  );

  const TokenSchema = z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
  });

  api.get(
    '/me/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'My API tokens',
        querystring: z.object({ ...pagingQuery(100) }),
        response: { 200: pageSchema(TokenSchema) },
      },
    },
    async (request) => {
      const auth = requireUser(request);
      const query = ctx.db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', auth.id)
        .where('revoked_at', 'is', null);
      const page = await keysetPage(query, {
        keys: [
          { ref: 'created_at', value: (r) => r.created_at },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'desc',
        pageSize: request.query.pageSize,
        cursor: request.query.cursor,
      });
      return {
        ...page,
        items: page.items.map((r) => ({
          id: r.id,
          name: r.name,
          prefix: r.prefix,
          createdAt: r.created_at,
          lastUsedAt: r.last_used_at,
          expiresAt: r.expires_at,
        })),
      };
    },
  );

  api.post(
    '/me/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'Create an API token for scripts and CI (shown once)',
        body: z.object({ name: text(100), expiresInDays: z.int().min(1).max(3650).optional() }),
        response: {
          201: z.object({
            id: z.string(),
            token: z.string(),
            prefix: z.string(),
            createdAt: z.string(),
            expiresAt: z.string().nullable(),
          }),
        },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      return reply.code(201).send(await createApiToken(ctx, auth, request.body, request.ip));
    },
  );

  api.delete(
    '/me/tokens/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['accounts'],
        summary: 'Revoke an API token',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const auth = requireUser(request);
      const now = ctx.clock.now();
      await ctx.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('api_tokens')
          .set({ revoked_at: now.toISOString() })
          .where('id', '=', request.params.id)
          .where('user_id', '=', auth.id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) {
          throw notFound('api_token.not_found', `No API token ${request.params.id}.`);
        }
        await audit(trx, now, {
          actorId: auth.id,
          actor: auth.login,
          companyId: auth.companyId,
          action: 'api_token.revoke',
          targetType: 'api_token',
          targetId: request.params.id,
          ip: request.ip,
        });
      });
      return reply.code(204).send(null);
    },
  );
}
