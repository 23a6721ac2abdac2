/** A path the UI has no page for. */
import { EmptyState, EmptyStateBody, EmptyStateFooter, PageSection } from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';

/** "Page not found" with a way back to the catalog. */
export default function NotFoundPage() {
  return (
    <PageSection>
      <EmptyState titleText="Page not found" headingLevel="h1">
        <EmptyStateBody>There is no page at this address.</EmptyStateBody>
        <EmptyStateFooter>
          <LinkButton to="/catalog">Go to the catalog</LinkButton>
        </EmptyStateFooter>
      </EmptyState>
    </PageSection>
  );
}
