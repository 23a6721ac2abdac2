/** Row types of the tables the products module owns; the block at the end adds them to `DB`. */
import type { Timestamp, DbBool, JsonColumn, Defaulted } from '../../platform/db/index.js';

/** A partner product, as shown in the catalog. */
export interface ProductsTable {
  id: string;
  company_id: string;
  name: string;
  overview: Defaulted<string>;
  /** Sanitized HTML (never the raw input). */
  description_html: Defaulted<string>;
  product_types: JsonColumn;
  logo_digest: string | null;
  logo_media_type: string | null;
  use_company_logo: Defaulted<DbBool>;
  product_url: string | null;
  download_url: string | null;
  catalog_location: string | null;
  /** The contact distribution list: e-mail addresses. */
  contacts: JsonColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A version of a product; certification projects are per version. */
export interface ProductVersionsTable {
  id: string;
  product_id: string;
  version: string;
  created_at: Timestamp;
}

/** Documentation and marketing material uploaded for a product (bytes in the blob store). */
export interface CollateralTable {
  id: string;
  product_id: string;
  title: string;
  file_name: string;
  media_type: string;
  digest: string;
  size: number;
  created_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    products: ProductsTable;
    product_versions: ProductVersionsTable;
    collateral: CollateralTable;
  }
}
