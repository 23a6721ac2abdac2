/** The company's products: name, overview, types, versions; "Add a product" for org admins. */
import { EmptyState, EmptyStateBody, PageSection, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import { api, ok, problemOf, type User } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import '../partner.css';

/** The products screen. */
export default function ProductsPage() {
  return <RequireSession>{(user) => <Products user={user} />}</RequireSession>;
}

function Products({ user }: { user: User }) {
  const query = useQuery({
    queryKey: ['products'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/products', { params: { query: { pageSize: 100 } } })),
  });
  return (
    <PageSection aria-busy={query.isFetching}>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Products
      </Title>
      <p>The products your company certifies; each version gets its own certification project.</p>
      {user.orgAdmin && user.companyId !== null ? (
        <p className="hm-partner-section">
          <LinkButton variant="primary" to="/products/new">
            Add a product
          </LinkButton>
        </p>
      ) : null}
      {query.isLoading ? (
        <Loading label="Loading the products" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="The products could not be loaded" />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No products yet" headingLevel="h2">
          <EmptyStateBody>Add a product to create certification projects for it.</EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Products" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Product Name</Th>
              <Th>Brief Overview</Th>
              <Th>Product types</Th>
              <Th>Versions</Th>
              <Th>Updated</Th>
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((p) => (
              <Tr key={p.id}>
                <Td dataLabel="Product Name" className="hm-partner-wrap">
                  <LinkButton variant="link" isInline to={`/products/${p.id}`}>
                    {p.name}
                  </LinkButton>
                </Td>
                <Td dataLabel="Brief Overview" className="hm-partner-wrap">
                  {p.overview}
                </Td>
                <Td dataLabel="Product types">{p.productTypes.join(', ')}</Td>
                <Td dataLabel="Versions">{p.versions.map((v) => v.version).join(', ') || '—'}</Td>
                <Td dataLabel="Updated">{formatDate(p.updatedAt)}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}
