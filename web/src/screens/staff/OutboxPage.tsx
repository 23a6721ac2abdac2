/** Staff: the outgoing e-mail (status, recipient, subject, attempts, errors) with filters and paging. */
import {
  FormSelect,
  FormSelectOption,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './staff.css';

type Status = '' | 'pending' | 'sent' | 'failed';

/** The outbox screen. */
export default function OutboxPage() {
  return <RequireSession staff>{() => <Outbox />}</RequireSession>;
}

function Outbox() {
  const [status, setStatus] = useState<Status>('');
  const [to, setTo] = useState('');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const query = useQuery({
    queryKey: ['staff', 'mail', status, to, cursor],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/mail', {
          params: {
            query: {
              pageSize: 25,
              ...(status === '' ? {} : { status }),
              ...(to.trim() === '' ? {} : { to: to.trim() }),
              ...(cursor === undefined ? {} : { cursor }),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Outbox
      </Title>
      <div className="hm-staff-filters">
        <FormSelect
          aria-label="Status"
          value={status}
          onChange={(_e, v) => {
            setStatus(v as Status);
            pages.reset();
          }}
        >
          <FormSelectOption value="" label="Any status" />
          <FormSelectOption value="pending" label="Pending" />
          <FormSelectOption value="sent" label="Sent" />
          <FormSelectOption value="failed" label="Failed" />
        </FormSelect>
        <TextInput
          aria-label="Recipient"
          placeholder="Recipient"
          value={to}
          onChange={(_e, v) => {
            setTo(v);
            pages.reset();
          }}
        />
      </div>
      {query.isPending ? (
        <Loading label="Loading the outbox" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} />
      ) : query.data.items.length === 0 ? (
        <p>No e-mail matches.</p>
      ) : (
        <>
          <Table aria-label="Outgoing e-mail" variant="compact">
            <Thead>
              <Tr>
                <Th>Subject</Th>
                <Th>Recipient</Th>
                <Th>Status</Th>
                <Th>Attempts</Th>
                <Th>Created</Th>
                <Th>Error</Th>
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((m) => (
                <Tr key={m.id}>
                  <Td dataLabel="Subject" className="hm-staff-wrap">
                    <Link to={`/staff/mail/${m.id}`}>{m.subject}</Link>
                  </Td>
                  <Td dataLabel="Recipient" className="hm-staff-wrap">
                    {m.to.join(', ')}
                  </Td>
                  <Td dataLabel="Status">{m.status}</Td>
                  <Td dataLabel="Attempts">{m.attempts}</Td>
                  <Td dataLabel="Created">{formatDate(m.createdAt)}</Td>
                  <Td dataLabel="Error" className="hm-staff-wrap">
                    {m.lastError ?? ''}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          <CursorPager pages={pages} nextCursor={query.data.nextCursor} label="Outbox pages" />
        </>
      )}
    </PageSection>
  );
}
