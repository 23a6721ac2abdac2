/**
 * The summary the projects list shows of each project (certified or not, what needs attention,
 * how many images), computed for the whole page at once rather than asked per project.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/index.js';
import { checklistInputs } from './checklist-inputs.js';
import { checklistOf } from './checklist.js';
import type { ProjectFacts } from './facts.js';
import type { ProjectSummary, ProjectView } from './schemas.js';

/** `page` with each project's summary, from one lookup of each kind for the whole page. */
export async function withSummaries<P extends { items: ProjectView[] }>(
  db: Kysely<DB>,
  facts: ProjectFacts,
  page: P,
): Promise<Omit<P, 'items'> & { items: (ProjectView & { summary: ProjectSummary })[] }> {
  const inputs = await checklistInputs(
    db,
    facts,
    page.items.map((p) => p.id),
  );
  const summaries = new Map(
    inputs.map((input) => {
      const checklist = checklistOf(input);
      const summary: ProjectSummary = {
        certified: checklist.certified,
        todo: checklist.items
          .filter((i) => i.required && i.state === 'todo')
          .map((i) => ({ key: i.key, title: i.title })),
        images: input.images.count,
      };
      return [input.project.id, summary] as const;
    }),
  );
  return {
    ...page,
    items: page.items.map((project) => ({
      ...project,
      // A project deleted while the page was read has nothing to summarize.
      summary: summaries.get(project.id) ?? { certified: false, todo: [], images: 0 },
    })),
  };
}
