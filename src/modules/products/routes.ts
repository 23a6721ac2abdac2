/** Product routes: the product form, versions, logo and collateral. */
import { z } from 'zod';
import type { Api, ApiContext } from '../../platform/http/api.js';
import { internal } from '../../platform/errors.js';
import { keysetPage, pageSchema, pagingQuery } from '../../platform/http/paging.js';
import { companyScope, requireOrgAdmin, requireUser } from '../../platform/http/guards.js';
import {
  addCollateral,
  deleteCollateral,
  findCollateral,
  listCollateral,
  logoToServe,
  removeLogo,
  setLogo,
} from './files.js';
import {
  CollateralParams,
  CollateralSchema,
  CreateProductBody,
  ListProductsQuery,
  ProductParams,
  ProductSchema,
  UpdateProductBody,
  VersionBody,
  VersionParams,
  VersionSchema,
} from './schemas.js';
import { addVersion, removeVersion, renameVersion } from './versions.js';
import {
  createProduct,
  deleteProduct,
  type ProductsPorts,
  toProductView,
  toProductViews,
  updateProduct,
  visibleProduct,
} from './service.js';
import { attachment, sendLogo } from '../../platform/http/upload.js';

const TAGS = ['products'];

/** Registers the product routes. */
export function productRoutes(api: Api, ctx: ApiContext, ports: ProductsPorts): void {
  api.post(
    '/products',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Create a partner product (org admins)',
        body: CreateProductBody,
        response: { 201: ProductSchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const row = await createProduct(
        ctx.db,
        { user, ip: request.ip },
        request.body,
        ctx.clock.now(),
      );
      return reply.code(201).send(await toProductView(ctx.db, row));
    },
  );

  api.get(
    '/products',
    {
      config: { auth: 'memberOrStaff' },
      schema: {
        tags: TAGS,
        summary: "The caller's company's products (staff: every company's, or one's)",
        querystring: ListProductsQuery,
        response: { 200: pageSchema(ProductSchema) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      let query = ctx.db.selectFrom('products').selectAll();
      const companyId = companyScope(user, request.query.companyId);
      if (companyId !== undefined) {
        query = query.where('company_id', '=', companyId);
      }
      const page = await keysetPage(query, {
        keys: [
          { ref: 'name', value: (r) => r.name },
          { ref: 'id', value: (r) => r.id },
        ],
        direction: 'asc',
        pageSize: request.query.pageSize,
        cursor: request.query.cursor,
      });
      return { ...page, items: await toProductViews(ctx.db, page.items) };
    },
  );

  api.get(
    '/products/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'A product with its versions',
        params: ProductParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => {
      const row = await visibleProduct(ctx.db, requireUser(request), request.params.id);
      return toProductView(ctx.db, row);
    },
  );

  api.patch(
    '/products/:id',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Change product fields (org admins)',
        params: ProductParams,
        body: UpdateProductBody,
        response: { 200: ProductSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      const row = await updateProduct(
        ctx.db,
        { user, ip: request.ip },
        request.params.id,
        request.body,
        ctx.clock.now(),
      );
      return toProductView(ctx.db, row);
    },
  );

  api.delete(
    '/products/:id',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a product no project uses (org admins)',
        params: ProductParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      await deleteProduct(
        ctx.db,
        ports,
        { user, ip: request.ip },
        request.params.id,
        ctx.clock.now(),
      );
      return reply.code(204).send(null);
    },
  );

  versionRoutes(api, ctx);
  logoRoutes(api, ctx);
  collateralRoutes(api, ctx);
}

function versionRoutes(api: Api, ctx: ApiContext): void {
  api.post(
    '/products/:id/versions',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Add a product version (org admins)',
        params: ProductParams,
        body: VersionBody,
        response: { 201: VersionSchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const version = await addVersion(
        ctx.db,
        { user, ip: request.ip },
        request.params.id,
        request.body.version,
        ctx.clock.now(),
      );
      return reply.code(201).send(version);
    },
  );

  api.patch(
    '/products/:id/versions/:versionId',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Rename a product version (org admins)',
        params: VersionParams,
        body: VersionBody,
        response: { 200: VersionSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      return renameVersion(
        ctx.db,
        { user, ip: request.ip },
        request.params.id,
        request.params.versionId,
        request.body.version,
        ctx.clock.now(),
      );
    },
  );

  api.delete(
    '/products/:id/versions/:versionId',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Remove a product version no project uses (org admins)',
        params: VersionParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      await removeVersion(
        ctx.db,
        { user, ip: request.ip },
        request.params.id,
        request.params.versionId,
        ctx.clock.now(),
      );
      return reply.code(204).send(null);
    },
  );
}

function logoRoutes(api: Api, ctx: ApiContext): void {
  api.put(
    '/products/:id/logo',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Upload the product logo: multipart, one png/gif/jpeg file < 15 MB (org admins)',
        consumes: ['multipart/form-data'],
        params: ProductParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      const row = await setLogo(ctx, { user, ip: request.ip }, request.params.id, request);
      return toProductView(ctx.db, row);
    },
  );

  api.get(
    '/products/:id/logo',
    {
      config: { auth: 'optional' },
      schema: {
        tags: TAGS,
        summary: 'The product logo (anonymous once the product has a published image)',
        params: ProductParams,
      },
    },
    async (request, reply) => {
      const logo = await logoToServe(ctx.db, request.auth, request.params.id);
      return sendLogo(reply, ctx.blobs, logo);
    },
  );

  api.delete(
    '/products/:id/logo',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Remove the product logo (org admins)',
        params: ProductParams,
        response: { 200: ProductSchema },
      },
    },
    async (request) => {
      const user = requireOrgAdmin(request);
      const row = await removeLogo(ctx, { user, ip: request.ip }, request.params.id);
      return toProductView(ctx.db, row);
    },
  );
}

function collateralRoutes(api: Api, ctx: ApiContext): void {
  api.post(
    '/products/:id/collateral',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary:
          'Upload documentation or marketing material: multipart with `title` and one file ≤ 50 MB (org admins)',
        consumes: ['multipart/form-data'],
        params: ProductParams,
        response: { 201: CollateralSchema },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      const view = await addCollateral(ctx, { user, ip: request.ip }, request.params.id, request);
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/products/:id/collateral',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: "The product's documentation and marketing materials",
        params: ProductParams,
        querystring: z.object({ ...pagingQuery(100) }),
        response: { 200: pageSchema(CollateralSchema) },
      },
    },
    async (request) =>
      listCollateral(ctx.db, requireUser(request), request.params.id, request.query),
  );

  api.get(
    '/products/:id/collateral/:cid',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Download a collateral document',
        params: CollateralParams,
      },
    },
    async (request, reply) => {
      const found = await findCollateral(
        ctx.db,
        requireUser(request),
        request.params.id,
        request.params.cid,
      );
      const stream = await ctx.blobs.openRead(found.digest).catch((err: unknown) => {
        throw internal(
          'collateral.content_missing',
          'The document content is missing.',
          undefined,
          { cause: err },
        );
      });
      return reply
        .type(found.mediaType)
        .header('content-length', found.size)
        .header('content-disposition', attachment(found.fileName))
        .header('x-content-type-options', 'nosniff')
        .send(stream);
    },
  );

  api.delete(
    '/products/:id/collateral/:cid',
    {
      config: { auth: 'orgAdmin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a collateral document (org admins)',
        params: CollateralParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const user = requireOrgAdmin(request);
      await deleteCollateral(ctx, { user, ip: request.ip }, request.params.id, request.params.cid);
      return reply.code(204).send(null);
    },
  );
}
