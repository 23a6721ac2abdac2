/**
 * What the checklists of projects are read from (profiles, zones, acceptances, products, images,
 * builds),
 * fetched for a whole page of projects at once: one lookup of each kind however many projects
 * there are, so the projects list can show every project's state in one request.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { mapByIds } from '../../platform/db/index.js';
import { acceptancesAmong, companiesByIds } from '../companies/index.js';
import { loadZone } from '../zones/index.js';
import type { ProductFacts, ProjectBuildFacts, ProjectFacts, ProjectImageFacts } from './facts.js';

/** The project fields the checklist reads. */
function selectChecklistProjects(db: Kysely<DB>) {
  return db
    .selectFrom('projects')
    .select([
      'id',
      'company_id',
      'zone_id',
      'product_id',
      'release_category',
      'target_platform',
      'target_platform_version',
      'namespace',
      'sales_contact',
      'distribution_approved_at',
    ]);
}

/** Everything one project's checklist is read from. */
export interface ChecklistInput {
  readonly project: Awaited<
    ReturnType<ReturnType<typeof selectChecklistProjects>['executeTakeFirstOrThrow']>
  >;
  /** The company profile as stored (null while empty). */
  readonly profile: unknown;
  /** The project's zone: its name and appendix; undefined without a zone. */
  readonly zone: { readonly name: string; readonly agreementId: string | null } | undefined;
  readonly product: ProductFacts | undefined;
  /** When the company accepted the zone's appendix, if it did. */
  readonly appendixAcceptedAt: string | undefined;
  readonly images: ProjectImageFacts;
  readonly builds: ProjectBuildFacts;
}

/** The checklist inputs of projects `ids`, in that order (ids of no project are left out). */
export async function checklistInputs(
  db: Kysely<DB>,
  facts: ProjectFacts,
  ids: readonly string[],
): Promise<ChecklistInput[]> {
  const rows = await mapByIds(
    ids,
    (chunk) => selectChecklistProjects(db).where('id', 'in', chunk).execute(),
    (r) => r.id,
  );
  const projects = [...new Set(ids)].flatMap((id) => {
    const row = rows.get(id);
    return row === undefined ? [] : [row];
  });
  const some = <T>(values: (T | null)[]): T[] => [
    ...new Set(values.filter((v): v is T => v !== null)),
  ];
  const companies = await companiesByIds(db, some(projects.map((p) => p.company_id)));
  // One lookup per distinct zone: the program has a handful of zones, not one per project.
  const zones = new Map<string, Awaited<ReturnType<typeof loadZone>>>();
  for (const id of some(projects.map((p) => p.zone_id))) {
    zones.set(id, await loadZone(db, id));
  }
  const products = await facts.products(db, some(projects.map((p) => p.product_id)));
  const accepted = await acceptancesAmong(
    db,
    some(projects.map((p) => p.company_id)),
    some([...zones.values()].map((z) => z.agreement_id)),
  );
  const images = await facts.images(
    db,
    projects.map((p) => p.id),
  );
  const builds = await facts.builds(
    db,
    projects.map((p) => p.id),
  );
  return projects.map((project) => {
    const zone = project.zone_id === null ? undefined : zones.get(project.zone_id);
    const agreementId = zone?.agreement_id ?? null;
    return {
      project,
      profile: companies.get(project.company_id)?.profile ?? null,
      zone: zone === undefined ? undefined : { name: zone.name, agreementId },
      product: project.product_id === null ? undefined : products.get(project.product_id),
      appendixAcceptedAt:
        agreementId === null ? undefined : accepted.get(project.company_id)?.get(agreementId),
      images: images.get(project.id) ?? { count: 0, passed: undefined },
      builds: builds.get(project.id) ?? { gitSource: false, autoRebuild: false },
    };
  });
}
