/** "Not found": a path the UI has no page for, or a record the API answers 404 for. */
import { EmptyState, EmptyStateBody, EmptyStateFooter, PageSection } from '@patternfly/react-core';
import { LinkButton } from './LinkButton';

/**
 * The not-found state. Records of another company answer 404 too, so the page never says whether
 * something exists elsewhere.
 */
export function NotFound({
  title = 'Page not found',
  detail = 'There is no page at this address.',
}: {
  title?: string;
  detail?: string;
}) {
  return (
    <PageSection>
      <EmptyState titleText={title} headingLevel="h1">
        <EmptyStateBody>{detail}</EmptyStateBody>
        <EmptyStateFooter>
          <LinkButton to="/catalog">Go to the catalog</LinkButton>
        </EmptyStateFooter>
      </EmptyState>
    </PageSection>
  );
}
