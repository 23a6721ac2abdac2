/** Downloads: the platforms granted to the company (the software grant e-mail links here). */
import { EmptyState, EmptyStateBody, PageSection, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import { api, ok, problemOf } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import '../partner.css';

/** The downloads screen. */
export default function DownloadsPage() {
  return (
    <RequireSession>
      {(user) =>
        user.orgAdmin && user.companyId !== null ? (
          <Downloads />
        ) : (
          <NotFound
            title="Only organization administrators see the downloads"
            detail="Ask an organization administrator of your company."
          />
        )
      }
    </RequireSession>
  );
}

function Downloads() {
  const query = useQuery({
    queryKey: ['entitlements'],
    queryFn: async () => ok(await api.GET('/api/v1/entitlements')),
  });
  return (
    <PageSection aria-busy={query.isFetching}>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Downloads
      </Title>
      <p>
        The software subscriptions granted to your company. Choose the product family, then follow
        the instructions to download.
      </p>
      {query.isLoading ? (
        <Loading label="Loading the downloads" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="The downloads could not be loaded" />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No software granted yet" headingLevel="h2">
          <EmptyStateBody>
            <LinkButton variant="link" isInline to="/software">
              Request software access
            </LinkButton>{' '}
            first; you are e-mailed when it is granted.
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Granted software" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Product family</Th>
              <Th>Granted</Th>
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((e) => (
              <Tr key={e.platform}>
                <Td dataLabel="Product family">{e.name}</Td>
                <Td dataLabel="Granted">{formatDate(e.grantedAt)}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}
