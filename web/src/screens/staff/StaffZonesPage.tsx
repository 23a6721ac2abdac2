/** Staff: the zones and their rules, with a link to create one. */
import { PageSection, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import './staff.css';

/** The zones screen. */
export default function StaffZonesPage() {
  return <RequireSession staff>{() => <Zones />}</RequireSession>;
}

function Zones() {
  const query = useQuery({
    queryKey: ['staff', 'zones'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/zones', { params: { query: { pageSize: 100 } } })),
  });
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Zones
      </Title>
      <LinkButton to="/staff/zones/new">Create a zone</LinkButton>
      {query.isPending ? (
        <Loading label="Loading zones" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} />
      ) : query.data.items.length === 0 ? (
        <p>No zones yet.</p>
      ) : (
        <Table aria-label="Zones" variant="compact">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Policy</Th>
              <Th>Release categories</Th>
              <Th>Advisory assessments</Th>
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((z) => (
              <Tr key={z.id}>
                <Td dataLabel="Name">
                  <Link to={`/staff/zones/${z.id}`}>{z.name}</Link>
                </Td>
                <Td dataLabel="Policy">{z.policy}</Td>
                <Td dataLabel="Release categories" className="hm-staff-wrap">
                  {z.releaseCategories.join(', ')}
                </Td>
                <Td dataLabel="Advisory assessments" className="hm-staff-wrap">
                  {z.advisoryChecks.length === 0 ? 'None' : z.advisoryChecks.join(', ')}
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}
