/**
 * Takes a partner of `newPartner` through every step publishing needs, over the API: company
 * profile, program agreement, zone access and appendix, a product with a version and collateral,
 * a project in the zone with its sales contact, and (unless told not to) distribution approval.
 */
import { expect } from 'vitest';
import { COMPLETE_PROFILE } from '../../src/modules/companies/companies.fixtures.js';
import { ApiClient } from './api.js';
import { STAFF_PASSWORD, type Partner, type Portal } from './portal.js';

/** A project of `certifyPartner`, ready for its images to be published. */
export interface CertifiedProject {
  readonly id: string;
  readonly namespace: string;
  readonly registryKey: string;
  readonly zoneId: string;
  readonly productId: string;
}

/** Options of `certifyPartner`. */
export interface CertifyOptions {
  /** The zone (default the seeded "OpenStack & NFV"). */
  readonly zoneId?: string;
  /** Project name (default `<partner> project`). */
  readonly name?: string;
  /** Whether staff approve distribution (default true). */
  readonly distributionApproval?: boolean;
  /** Turn auto publish on. */
  readonly autoPublish?: boolean;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');

/** What these steps read from response bodies. */
interface Body {
  readonly id: string;
  readonly version: string;
  readonly namespace: string;
  readonly registryKey: string;
  readonly profileComplete: boolean;
  readonly items: {
    id: string;
    name: string;
    releaseCategories: string[];
    appendix: { version: string } | null;
    access: { status: string } | null;
  }[];
}

/** Checks the status and reads the body (a test helper: the server's schema is the truth). */
function ok(res: { status: number; body: unknown }, status: number, what: string): { body: Body } {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
  return { body: res.body as Body };
}

/** See the file comment; returns the project. */
export async function certifyPartner(
  portal: Portal,
  partner: Partner,
  options: CertifyOptions = {},
): Promise<CertifiedProject> {
  const admin = partner.admin;
  // Signed in afresh: a test's clock may have moved past the portal's staff session.
  const staff = await new ApiClient(portal.server.url).login('admin', STAFF_PASSWORD);
  const company = ok(await admin.get(`/companies/${partner.companyId}`), 200, 'company');
  if (!company.body.profileComplete) {
    ok(
      await admin.patch(`/companies/${partner.companyId}`, { profile: COMPLETE_PROFILE }),
      200,
      'profile',
    );
  }
  const agreement = ok(await admin.get('/agreements/program'), 200, 'agreement');
  ok(
    await admin.post(`/companies/${partner.companyId}/agreement`, {
      version: agreement.body.version,
    }),
    200,
    'accept the agreement',
  );

  const zones = ok(await admin.get('/zones'), 200, 'zones').body.items;
  const zone = zones.find((z) =>
    options.zoneId === undefined ? z.name === 'OpenStack & NFV' : z.id === options.zoneId,
  );
  if (zone === undefined) {
    throw new Error('no such zone');
  }
  if (zone.access?.status !== 'approved') {
    const request = ok(await admin.post(`/zones/${zone.id}/requests`, {}), 201, 'zone request');
    ok(await staff.post(`/zone-requests/${request.body.id}/approve`, {}), 200, 'zone approval');
  }
  if (zone.appendix !== null) {
    ok(
      await admin.post(`/zones/${zone.id}/appendix`, { version: zone.appendix.version }),
      200,
      'appendix',
    );
  }

  const name = options.name ?? `${partner.name} project`;
  const product = ok(
    await admin.post('/products', {
      name: `${name} product`,
      overview: 'A certified plugin',
      description: '<p>What the plugin does.</p>',
      productTypes: ['Storage'],
      productUrl: 'https://example.com/plugin',
      contacts: [`pm@${partner.name.toLowerCase()}.example`],
    }),
    201,
    'product',
  );
  const productId = product.body.id;
  const version = ok(
    await admin.post(`/products/${productId}/versions`, { version: '1.0' }),
    201,
    'version',
  );
  const form = new FormData();
  form.append('title', 'Data sheet');
  form.append('file', new Blob([new Uint8Array(PDF)]), 'sheet.pdf');
  ok(await admin.post(`/products/${productId}/collateral`, form), 201, 'collateral');

  const project = ok(
    await admin.post('/projects', {
      name,
      productId,
      productVersionId: version.body.id,
      zoneId: zone.id,
      releaseCategory: zone.releaseCategories[0],
      targetPlatform: 'Red Hat OpenStack Platform',
      targetPlatformVersion: '13',
    }),
    201,
    'project',
  );
  const id = project.body.id;
  ok(
    await admin.patch(`/projects/${id}`, {
      salesContact: { name: 'Sal Sales', email: 'sales@example.com', phone: '+1 555 0100' },
      ...(options.autoPublish === true ? { autoPublish: true } : {}),
    }),
    200,
    'sales contact',
  );
  if (options.distributionApproval !== false) {
    ok(await staff.post(`/projects/${id}/distribution-approval`), 200, 'distribution approval');
  }
  return {
    id,
    namespace: project.body.namespace,
    registryKey: project.body.registryKey,
    zoneId: zone.id,
    productId,
  };
}
