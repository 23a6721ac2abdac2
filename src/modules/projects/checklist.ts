/**
 * The container certification checklist of the guide: ten items whose states are read from the
 * data (profiles, acceptances, images, collateral, staff decisions, build settings), never stored
 * as flags.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { acceptanceOf, PROGRAM_AGREEMENT, profileCompleteness } from '../companies/index.js';
import { zoneForCompany } from '../zones/index.js';
import { checklistInputs, type ChecklistInput } from './checklist-inputs.js';
import type { ProjectFacts } from './facts.js';
import type { ChecklistItem } from './schemas.js';

/** A project's checklist, and whether it is certified (every required item done). */
export interface Checklist {
  readonly projectId: string;
  readonly certified: boolean;
  readonly items: ChecklistItem[];
}

/** The checklist of a project, and whether it is certified (every required item done). */
export async function projectChecklist(
  db: Kysely<DB>,
  facts: ProjectFacts,
  projectId: string,
): Promise<Checklist> {
  const [input] = await checklistInputs(db, facts, [projectId]);
  if (input === undefined) {
    throw new Error(`Project ${projectId} is missing.`);
  }
  return checklistOf(input);
}

/** The checklist read from its inputs (see `checklistInputs`, which fetches them for many). */
export function checklistOf(input: ChecklistInput): Checklist {
  const { project, product, appendixAcceptedAt } = input;
  const passed = input.images.passed;
  const zoneName = input.zone?.name ?? null;
  const agreementId = input.zone?.agreementId ?? null;

  const items: ChecklistItem[] = [];
  const add = (
    key: string,
    title: string,
    done: boolean,
    detail: string,
    required = true,
  ): void => {
    items.push({ key, title, state: done ? 'done' : 'todo', required, detail });
  };

  const companyProfile = profileCompleteness(input.profile);
  add(
    'company_profile',
    'Update your company profile',
    companyProfile.complete,
    companyProfile.complete
      ? 'The company profile has every mandatory field.'
      : `The company profile lacks mandatory fields (${companyProfile.missingFields.join(', ')}).`,
  );

  const missing: string[] = [];
  if (product === undefined) {
    missing.push('the project has no product');
  } else {
    if (!product.hasOverview) {
      missing.push('overview');
    }
    if (!product.hasDescription) {
      missing.push('description');
    }
    if (product.productTypes === 0) {
      missing.push('a product type');
    }
    if (product.contacts === 0) {
      missing.push('a contact e-mail');
    }
    if (product.versions.length === 0) {
      missing.push('a version');
    }
  }
  add(
    'product_profile',
    'Update your product profile',
    missing.length === 0,
    missing.length === 0
      ? `Product ${product?.name ?? ''} has an overview, a description, types, contacts and a version.`
      : `Missing: ${missing.join(', ')}.`,
  );

  if (agreementId === null) {
    items.push({
      key: 'zone_appendix',
      title: `Accept the ${zoneName ?? 'zone'} Appendix`,
      state: 'not_applicable',
      required: false,
      detail: 'The zone has no appendix to accept.',
    });
  } else {
    add(
      'zone_appendix',
      `Accept the ${zoneName ?? 'zone'} Appendix`,
      appendixAcceptedAt !== undefined,
      appendixAcceptedAt !== undefined
        ? `Accepted on ${appendixAcceptedAt}.`
        : 'An org admin of the company has to accept the zone appendix.',
    );
  }

  const profileDone =
    project.release_category !== null &&
    project.target_platform !== null &&
    project.target_platform_version !== null;
  add(
    'project_profile',
    'Update your project profile',
    profileDone,
    profileDone
      ? `Release category ${project.release_category ?? ''}, target ${project.target_platform ?? ''} ${project.target_platform_version ?? ''}.`
      : 'Set the release category and the target platform with its version.',
  );

  add(
    'package_and_test',
    'Package and test your application as a container',
    passed !== undefined,
    passed !== undefined
      ? `Image ${passed.tag} (${passed.digest}) passed the certification scan.`
      : 'No image of the project has passed the certification scan yet.',
  );

  const collateral = product?.collateral ?? 0;
  add(
    'documentation',
    'Upload documentation and marketing materials',
    collateral > 0,
    collateral > 0
      ? `${collateral} document(s) uploaded for the product.`
      : 'Add documentation or marketing material ("collateral") to the product.',
  );

  add(
    'registry_namespace',
    'Provide a container registry namespace',
    true,
    `Images are pushed to the namespace ${project.namespace}.`,
  );

  add(
    'sales_contact',
    'Provide sales contact information',
    project.sales_contact !== null,
    project.sales_contact !== null
      ? 'A sales contact is set.'
      : 'Set the sales contact (name, e-mail, phone) in the project settings.',
  );

  add(
    'distribution_approval',
    'Obtain distribution approval from Red Hat',
    project.distribution_approved_at !== null,
    project.distribution_approved_at !== null
      ? `Approved on ${project.distribution_approved_at}.`
      : 'Program staff have not approved distribution yet.',
  );

  // Optional: the guide offers the Build Service, and no zone requires it (zones have no
  // setting for it). Done once a git source is set, the item's "Configure": whether an image
  // was built and passed is the "package and test" item's question, for pushed images as well.
  const builds = input.builds;
  add(
    'build_service',
    'Configure Automated Build Service',
    builds.gitSource,
    builds.gitSource
      ? `Hallmark builds the image from the project's git source; automatic rebuilds are ${builds.autoRebuild ? 'on' : 'off'}.`
      : "Optional: set the project's git source in the Build Service tab to have Hallmark build and rebuild the image, or push images with the registry key.",
    false,
  );

  return {
    projectId: project.id,
    certified: items.every((i) => !i.required || i.state === 'done'),
    items,
  };
}

/** Something a project lacks before its images may be published. */
export interface CertificationGap {
  readonly key: string;
  readonly title: string;
  readonly detail: string;
}

/**
 * What the project lacks before any of its images may be published: the program agreement
 * (current version), approved access to its zone, a product and version, and every required
 * checklist item. `package_and_test` is left to the caller, who checks the image at hand.
 */
export async function certificationGaps(
  db: Kysely<DB>,
  facts: ProjectFacts,
  projectId: string,
): Promise<CertificationGap[]> {
  const project = await db
    .selectFrom('projects')
    .select(['id', 'company_id', 'zone_id', 'product_id', 'product_version_id'])
    .where('id', '=', projectId)
    .executeTakeFirstOrThrow();
  const gaps: CertificationGap[] = [];
  const agreement = await acceptanceOf(db, project.company_id, PROGRAM_AGREEMENT);
  if (agreement === null || !agreement.current) {
    gaps.push({
      key: 'program_agreement',
      title: 'Accept the Technology Partner Program Agreement',
      detail:
        agreement === null
          ? 'An org admin of the company has to accept the program agreement.'
          : `The company accepted version ${agreement.version}; an org admin has to accept the current version.`,
    });
  }
  const zone =
    project.zone_id === null
      ? undefined
      : await zoneForCompany(db, project.company_id, project.zone_id);
  if (zone === undefined) {
    gaps.push({
      key: 'zone_access',
      title: 'Obtain access to the project’s zone',
      detail:
        project.zone_id === null
          ? 'The project belongs to no zone; open the project in a zone the company has access to.'
          : 'Program staff have not approved the company’s access to the project’s zone.',
    });
  }
  if (project.product_id === null || project.product_version_id === null) {
    gaps.push({
      key: 'project_product',
      title: 'Choose the product and version the project certifies',
      detail: 'Set the product and its version in the project settings.',
    });
  }
  const checklist = await projectChecklist(db, facts, projectId);
  for (const item of checklist.items) {
    if (item.required && item.state !== 'done' && item.key !== 'package_and_test') {
      gaps.push({ key: item.key, title: item.title, detail: item.detail });
    }
  }
  return gaps;
}
