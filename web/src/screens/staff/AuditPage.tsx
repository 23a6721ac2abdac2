/** Staff: the audit log, newest first, filtered by actor, action, target and time range, paged. */
import { Button, Form, FormGroup, PageSection, TextInput, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok, problemOf } from '../../api/client';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './staff.css';

interface Filters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  after: string;
  before: string;
}
const NO_FILTERS: Filters = {
  actor: '',
  action: '',
  targetType: '',
  targetId: '',
  after: '',
  before: '',
};
const LABELS: Record<keyof Filters, string> = {
  actor: 'Actor',
  action: 'Action',
  targetType: 'Target type',
  targetId: 'Target id',
  after: 'From (date)',
  before: 'Until (date)',
};

/** The audit log screen. */
export default function AuditPage() {
  return <RequireSession staff>{() => <Audit />}</RequireSession>;
}

/** A yyyy-mm-dd date as the start of that day in UTC, or undefined. */
function day(value: string, plus = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return undefined;
  }
  const date = new Date(`${value}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + plus);
  return date.toISOString();
}

function Audit() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const query = useQuery({
    queryKey: ['staff', 'audit', filters, cursor],
    queryFn: async () => {
      const q: Record<string, string | number> = { pageSize: 25 };
      for (const key of ['actor', 'action', 'targetType', 'targetId'] as const) {
        if (filters[key].trim() !== '') {
          q[key] = filters[key].trim();
        }
      }
      const after = day(filters.after);
      const before = day(filters.before, 1);
      if (after !== undefined) {
        q.after = after;
      }
      if (before !== undefined) {
        q.before = before;
      }
      if (cursor !== undefined) {
        q.cursor = cursor;
      }
      return ok(await api.GET('/api/v1/audit', { params: { query: q } }));
    },
    placeholderData: keepPreviousData,
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
    pages.reset();
  };
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Audit log
      </Title>
      <Form onSubmit={apply} aria-label="Filter the audit log" className="hm-staff-filters">
        {(Object.keys(LABELS) as (keyof Filters)[]).map((key) => (
          <FormGroup key={key} label={LABELS[key]} fieldId={`audit-${key}`}>
            <TextInput
              id={`audit-${key}`}
              type={key === 'after' || key === 'before' ? 'date' : 'text'}
              value={draft[key]}
              onChange={(_e, v) => setDraft({ ...draft, [key]: v })}
            />
          </FormGroup>
        ))}
        <Button type="submit">Filter</Button>
      </Form>
      {query.isPending ? (
        <Loading label="Loading the audit log" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} />
      ) : query.data.items.length === 0 ? (
        <p>No audit entries match.</p>
      ) : (
        <>
          <Table aria-label="Audit log" variant="compact">
            <Thead>
              <Tr>
                <Th>Time</Th>
                <Th>Actor</Th>
                <Th>Action</Th>
                <Th>Target</Th>
                <Th>IP</Th>
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((e) => (
                <Tr key={e.id}>
                  <Td dataLabel="Time">{formatDate(e.at)}</Td>
                  <Td dataLabel="Actor" className="hm-staff-wrap">
                    {e.actor}
                  </Td>
                  <Td dataLabel="Action">{e.action}</Td>
                  <Td dataLabel="Target" className="hm-staff-wrap">
                    {e.targetType} {e.targetId ?? ''}
                  </Td>
                  <Td dataLabel="IP">{e.ip ?? ''}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          <CursorPager pages={pages} nextCursor={query.data.nextCursor} label="Audit log pages" />
        </>
      )}
    </PageSection>
  );
}
