/** Staff: every company, searchable and paged, linking to each company's dashboard. */
import { Button, PageSection, SearchInput, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './staff.css';

const PAGE_SIZE = 20;

/** The companies screen. */
export default function CompaniesPage() {
  return <RequireSession staff>{() => <Companies />}</RequireSession>;
}

function Companies() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const query = useQuery({
    queryKey: ['staff', 'companies', search, page],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies', {
          params: {
            query: { page, pageSize: PAGE_SIZE, ...(search === '' ? {} : { search }) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Companies
      </Title>
      <div className="hm-staff-filters">
        <SearchInput
          aria-label="Search companies by name"
          placeholder="Search by name"
          value={search}
          onChange={(_e, v) => {
            setSearch(v);
            setPage(1);
          }}
          onClear={() => setSearch('')}
        />
      </div>
      {query.isPending ? (
        <Loading label="Loading companies" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} />
      ) : query.data.items.length === 0 ? (
        <p>No companies match.</p>
      ) : (
        <>
          <p>
            {query.data.total} companies, page {query.data.page}
          </p>
          <Table aria-label="Companies" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Registered</Th>
                <Th>Partner since</Th>
                <Th>Profile</Th>
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((c) => (
                <Tr key={c.id}>
                  <Td dataLabel="Name">
                    <Link to={`/companies/${c.id}`}>{c.name}</Link>
                  </Td>
                  <Td dataLabel="Registered">{formatDate(c.createdAt)}</Td>
                  <Td dataLabel="Partner since">{formatDate(c.partnerSince)}</Td>
                  <Td dataLabel="Profile">{c.profileComplete ? 'Complete' : 'Incomplete'}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          <div className="hm-staff-filters">
            <Button variant="secondary" isDisabled={page <= 1} onClick={() => setPage(page - 1)}>
              Previous page
            </Button>
            <Button
              variant="secondary"
              isDisabled={!query.data.hasMore}
              onClick={() => setPage(page + 1)}
            >
              Next page
            </Button>
          </div>
        </>
      )}
    </PageSection>
  );
}
