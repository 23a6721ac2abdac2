/** Request and response schemas of the products API ("Create partner product" form). */
import { z } from 'zod';
import { pagingQuery } from '../../platform/http/paging.js';
import { plainLine } from '../../platform/text.js';

/** Limits of the product form (the guide's where it gives one). */
export const PRODUCT_LIMITS = {
  name: 100,
  /** The guide gives no limit for the brief overview; one catalog card line. */
  overview: 250,
  /** "Content limited to 32768 characters" (counted on the input, as the form's counter does). */
  description: 32_768,
  url: 2048,
  contacts: 20,
  version: 50,
  collateralTitle: 200,
  collateralBytes: 50 * 1024 * 1024,
} as const;

/** Product types of the multi-select ("select all that apply"). */
export const PRODUCT_TYPES = [
  'Storage',
  'Networking',
  'Compute',
  'Security',
  'Management',
  'Other',
] as const;

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;

/** An http(s) URL. */
const webUrl = z
  .url({ protocol: /^https?$/, error: 'An http or https URL' })
  .max(PRODUCT_LIMITS.url);

const ProductType = z.enum(PRODUCT_TYPES);

const productFields = {
  /** Product name, unique in the company (regardless of case). */
  name: line(PRODUCT_LIMITS.name),
  /** Brief overview shown in the catalog. */
  overview: line(PRODUCT_LIMITS.overview),
  /** Filtered HTML: sanitized on the way in; only the sanitized HTML is stored and returned. */
  description: z.string().min(1).max(PRODUCT_LIMITS.description),
  /** At least one product type. */
  productTypes: z.array(ProductType).min(1).max(PRODUCT_TYPES.length),
  /** Show the company logo instead of a product logo. */
  useCompanyLogo: z.boolean(),
  /** The product's web page. */
  productUrl: webUrl,
  /** Where the product is downloaded. */
  downloadUrl: webUrl.nullable(),
  /** Where the product is in the vendor's catalog, if it is there already. */
  catalogLocation: webUrl.nullable(),
  /** Contact distribution list: at least one e-mail, duplicates (any case) removed. */
  contacts: z.array(z.email().max(254)).max(100),
};

/** `POST /products`. */
export const CreateProductBody = z
  .object({
    ...productFields,
    useCompanyLogo: productFields.useCompanyLogo.default(false),
    downloadUrl: productFields.downloadUrl.optional(),
    catalogLocation: productFields.catalogLocation.optional(),
    /** Versions to create with the product (more can be added later). */
    versions: z.array(line(PRODUCT_LIMITS.version)).max(100).optional(),
  })
  .strict();
export type CreateProductBody = z.infer<typeof CreateProductBody>;

/** `PATCH /products/:id`: fields left out keep their value; `null` clears an optional URL. */
export const UpdateProductBody = z
  .object({
    name: productFields.name.optional(),
    overview: productFields.overview.optional(),
    description: productFields.description.optional(),
    productTypes: productFields.productTypes.optional(),
    useCompanyLogo: productFields.useCompanyLogo.optional(),
    productUrl: productFields.productUrl.optional(),
    downloadUrl: productFields.downloadUrl.optional(),
    catalogLocation: productFields.catalogLocation.optional(),
    contacts: productFields.contacts.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'Send at least one field to change' });
export type UpdateProductBody = z.infer<typeof UpdateProductBody>;

/** `POST /products/:id/versions` and its `PATCH`. */
export const VersionBody = z.object({ version: line(PRODUCT_LIMITS.version) }).strict();

/** `:id` of a product. */
export const ProductParams = z.object({ id: z.uuid() });
/** `:id/versions/:versionId`. */
export const VersionParams = z.object({ id: z.uuid(), versionId: z.uuid() });
/** `:id/collateral/:cid`. */
export const CollateralParams = z.object({ id: z.uuid(), cid: z.uuid() });

/** `GET /products`. */
export const ListProductsQuery = z.object({
  /** Staff only: one company's products. */
  companyId: z.uuid().optional(),
  /** Unbounded before paging came: 100 a page by default, so one page still holds most lists. */
  ...pagingQuery(100),
});

/** A product version. */
export const VersionSchema = z.object({
  id: z.string(),
  version: z.string(),
  createdAt: z.string(),
});

/** A product as the API returns it. */
export const ProductSchema = z.object({
  id: z.string(),
  companyId: z.string(),
  name: z.string(),
  overview: z.string(),
  /** Sanitized HTML. */
  description: z.string(),
  productTypes: z.array(z.string()),
  useCompanyLogo: z.boolean(),
  /**
   * The logo shown for the product — the company's when `useCompanyLogo` and the company has
   * one, else the product's own — or null.
   */
  logo: z
    .object({ mediaType: z.string(), source: z.enum(['product', 'company']), url: z.string() })
    .nullable(),
  productUrl: z.string().nullable(),
  downloadUrl: z.string().nullable(),
  catalogLocation: z.string().nullable(),
  contacts: z.array(z.string()),
  versions: z.array(VersionSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ProductView = z.infer<typeof ProductSchema>;

/** A collateral document. */
export const CollateralSchema = z.object({
  id: z.string(),
  title: z.string(),
  fileName: z.string(),
  mediaType: z.string(),
  size: z.number(),
  createdAt: z.string(),
});
