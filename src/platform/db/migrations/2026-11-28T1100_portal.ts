/**
 * The partner portal: accounts and sessions, company profiles and membership, the program
 * agreement, zones, products, software access, certification project details, export
 * compliance, the mail outbox and the audit log.
 */
import { sql, type Kysely } from 'kysely';
import { jsonColumnType } from '../dialect.js';

/** Adds the portal's tables and columns. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const json = jsonColumnType(db);
  await accounts(db);
  await companies(db, json);
  await zones(db, json);
  await products(db, json);
  await projects(db, json);
  await compliance(db, json);
  await mailAndAudit(db, json);
}

async function accounts(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('login_key', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('greeting', 'text')
    .addColumn('first_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('last_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('suffix', 'text')
    .addColumn('position', 'text')
    .addColumn('department', 'text')
    .addColumn('phone', 'text')
    .addColumn('company_id', 'text', (c) => c.references('companies.id').onDelete('set null'))
    .addColumn('org_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('staff', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('email_confirmed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_access_at', 'text')
    .addUniqueConstraint('users_login_key', ['login_key'])
    .addCheckConstraint(
      'users_status_check',
      sql`status in ('unconfirmed', 'active', 'inactive', 'disabled')`,
    )
    .addCheckConstraint('users_flags_check', sql`org_admin in (0, 1) and staff in (0, 1)`)
    .execute();
  await db.schema
    .createIndex('users_company_idx')
    .on('users')
    .columns(['company_id', 'status'])
    .execute();
  await db.schema.createIndex('users_email_idx').on('users').column('email').execute();
  await db.schema
    .createTable('email_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'email_tokens_purpose_check',
      sql`purpose in ('confirm', 'reset', 'invite')`,
    )
    .execute();
  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();
}

async function companies(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  await db.schema.alterTable('companies').addColumn('name_key', 'text').execute();
  await sql`update companies set name_key = lower(name)`.execute(db);
  await db.schema
    .createIndex('companies_name_key_idx')
    .on('companies')
    .column('name_key')
    .unique()
    .execute();
  // Company details, Connect details: validated by the companies module, stored as one document.
  await db.schema.alterTable('companies').addColumn('profile', json).execute();
  await db.schema.alterTable('companies').addColumn('logo_digest', 'text').execute();
  await db.schema.alterTable('companies').addColumn('partner_since', 'text').execute();
  await db.schema.alterTable('companies').addColumn('updated_at', 'text').execute();
  await db.schema
    .createTable('join_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('decided_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('decided_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'join_requests_status_check',
      sql`status in ('pending', 'approved', 'declined')`,
    )
    .execute();
  await db.schema
    .createIndex('join_requests_company_idx')
    .on('join_requests')
    .columns(['company_id', 'status'])
    .execute();
  await db.schema
    .createTable('agreements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('agreements_kind_version_key', ['kind', 'version'])
    .execute();
  await db.schema
    .createTable('agreement_acceptances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agreement_id', 'text', (c) => c.notNull().references('agreements.id'))
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('accepted_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addUniqueConstraint('agreement_acceptances_key', ['agreement_id', 'company_id'])
    .execute();
}

async function zones(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  await db.schema
    .createTable('zones')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('release_categories', json, (c) => c.notNull())
    .addColumn('advisory_checks', json, (c) => c.notNull())
    .addColumn('agreement_id', 'text', (c) => c.references('agreements.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('zones_policy_check', sql`policy in ('connect-2018', 'container')`)
    .execute();
  await db.schema
    .createTable('zone_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('zone_id', 'text', (c) => c.notNull().references('zones.id').onDelete('cascade'))
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'zone_requests_status_check',
      sql`status in ('pending', 'approved', 'rejected')`,
    )
    .execute();
  await db.schema
    .createIndex('zone_requests_company_idx')
    .on('zone_requests')
    .columns(['company_id', 'zone_id'])
    .execute();
}

async function products(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('overview', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('description_html', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('product_types', json, (c) => c.notNull())
    .addColumn('logo_digest', 'text')
    .addColumn('logo_media_type', 'text')
    .addColumn('use_company_logo', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('product_url', 'text')
    .addColumn('download_url', 'text')
    .addColumn('catalog_location', 'text')
    .addColumn('contacts', json, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('products_company_name_key', ['company_id', 'name'])
    .execute();
  await db.schema
    .createTable('product_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) =>
      c.notNull().references('products.id').onDelete('cascade'),
    )
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('product_versions_key', ['product_id', 'version'])
    .execute();
  await db.schema
    .createTable('collateral')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('product_id', 'text', (c) =>
      c.notNull().references('products.id').onDelete('cascade'),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('software_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'software_requests_status_check',
      sql`status in ('pending', 'granted', 'declined')`,
    )
    .execute();
}

async function projects(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  const add = (name: string, type: 'text' | 'jsonb' | 'integer', nullable = true) =>
    db.schema
      .alterTable('projects')
      .addColumn(name, type, (c) => (nullable ? c : c.notNull().defaultTo(0)))
      .execute();
  await add('zone_id', 'text');
  await add('product_id', 'text');
  await add('product_version_id', 'text');
  await add('release_category', 'text');
  await add('target_platform', 'text');
  await add('target_platform_version', 'text');
  await add('tree', 'text');
  await add('tree_confirmed_at', 'text');
  await add('tree_confirmed_by', 'text');
  await add('distribution_approved_at', 'text');
  await add('distribution_approved_by', 'text');
  await add('sales_contact', json === 'jsonb' ? 'jsonb' : 'text');
  await add('auto_publish', 'integer', false);
  await add('updated_at', 'text');
  await db.schema.alterTable('images').addColumn('published_at', 'text').execute();
  await db.schema.alterTable('images').addColumn('removed_at', 'text').execute();
  await db.schema
    .createIndex('images_published_idx')
    .on('images')
    .columns(['published', 'created_at'])
    .execute();
}

async function compliance(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  await db.schema
    .createTable('export_compliance')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) =>
      c.notNull().references('companies.id').onDelete('cascade'),
    )
    .addColumn('product_id', 'text', (c) => c.references('products.id').onDelete('cascade'))
    .addColumn('answers', json, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('submitted_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'export_compliance_status_check',
      sql`status in ('submitted', 'approved', 'deferred', 'information_requested', 'declined')`,
    )
    .execute();
  await db.schema
    .createTable('export_compliance_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('compliance_id', 'text', (c) =>
      c.notNull().references('export_compliance.id').onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'export_compliance_messages_kind_check',
      sql`kind in ('question', 'answer', 'decision')`,
    )
    .execute();
}

async function mailAndAudit(db: Kysely<unknown>, json: 'jsonb' | 'text'): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('recipients', json, (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addCheckConstraint('outbox_status_check', sql`status in ('pending', 'sent', 'failed')`)
    .execute();
  await db.schema
    .createIndex('outbox_status_idx')
    .on('outbox')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('company_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('detail', json)
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema
    .createIndex('audit_log_company_idx')
    .on('audit_log')
    .columns(['company_id', 'at'])
    .execute();
}
