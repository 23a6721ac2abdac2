/**
 * A company's join requests (`/companies/:id/join-requests`, the link of the e-mail to its org
 * admins): who asks, their message; approve or decline behind a confirmation.
 */
import {
  Button,
  EmptyState,
  EmptyStateBody,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf, type Problem } from '../../api/client';
import { Loading } from '../../components/Loading';
import { PlainText } from '../../components/PlainText';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import { CompanyNotFound, isNotFound } from './parts';
import './company.css';

interface Decision {
  readonly id: string;
  readonly who: string;
  readonly approve: boolean;
}

/** The join requests screen. */
export default function JoinRequestsPage() {
  const { id = '' } = useParams();
  return <RequireSession>{() => <JoinRequests companyId={id} />}</RequireSession>;
}

function JoinRequests({ companyId }: { companyId: string }) {
  const client = useQueryClient();
  const [deciding, setDeciding] = useState<Decision | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [decided, setDecided] = useState<string | undefined>(undefined);
  const key = ['companies', companyId, 'join-requests'] as const;
  const query = useQuery({
    queryKey: key,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies/{id}/join-requests', {
          params: { path: { id: companyId } },
        }),
      ),
  });
  const decide = useMutation({
    mutationFn: async (d: Decision) =>
      ok(
        await api.POST(
          d.approve ? '/api/v1/join-requests/{id}/approve' : '/api/v1/join-requests/{id}/decline',
          { params: { path: { id: d.id } } },
        ),
      ),
    onSuccess: (_r, d) => {
      setDeciding(undefined);
      setProblem(undefined);
      setDecided(
        `${d.who} was ${d.approve ? 'approved and is now a user of the company' : 'declined'}.`,
      );
      void client.invalidateQueries({ queryKey: ['companies', companyId] });
    },
    onError: (err) => setProblem(problemOf(err)),
  });

  if (query.isError && isNotFound(problemOf(query.error))) {
    return <CompanyNotFound />;
  }
  return (
    <PageSection aria-busy={query.isFetching}>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Join requests
      </Title>
      <p className="hm-company-gap">
        Users who asked to join the company. Approve them to make them users of the company (not
        organization administrators); they are e-mailed either way.{' '}
        <Link to={`/companies/${companyId}`}>Back to the company dashboard</Link>
      </p>
      {decided === undefined ? null : (
        <p role="status" className="hm-company-gap">
          {decided}
        </p>
      )}
      {query.isLoading ? (
        <Loading label="Loading join requests" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="Join requests could not be loaded" />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No join requests waiting" headingLevel="h2">
          <EmptyStateBody>Requests to join the company appear here.</EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Join requests" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Login</Th>
              <Th>E-mail</Th>
              <Th>Message</Th>
              <Th>Asked</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((r) => {
              const who =
                `${r.requester.firstName} ${r.requester.lastName}`.trim() || r.requester.login;
              return (
                <Tr key={r.id}>
                  <Td dataLabel="Name">{who}</Td>
                  <Td dataLabel="Login">{r.requester.login}</Td>
                  <Td dataLabel="E-mail" className="hm-mono">
                    {r.requester.email}
                  </Td>
                  <Td dataLabel="Message">
                    {r.message === null ? '—' : <PlainText>{r.message}</PlainText>}
                  </Td>
                  <Td dataLabel="Asked">{formatDate(r.createdAt)}</Td>
                  <Td dataLabel="Actions">
                    <div className="hm-company-actions">
                      <Button
                        variant="primary"
                        onClick={() => setDeciding({ id: r.id, who, approve: true })}
                      >
                        Approve
                      </Button>
                      <Button
                        variant="secondary"
                        isDanger
                        onClick={() => setDeciding({ id: r.id, who, approve: false })}
                      >
                        Decline
                      </Button>
                    </div>
                  </Td>
                </Tr>
              );
            })}
          </Tbody>
        </Table>
      )}
      <Modal
        variant="small"
        isOpen={deciding !== undefined}
        onClose={() => setDeciding(undefined)}
        aria-labelledby="decide-title"
      >
        <ModalHeader
          title={deciding?.approve === true ? 'Approve this request?' : 'Decline this request?'}
          labelId="decide-title"
        />
        <ModalBody>
          {deciding?.approve === true
            ? `${deciding.who} becomes a user of the company and sees its products and projects.`
            : `${deciding?.who ?? ''} is told the request was declined.`}
          <ProblemAlert problem={problem} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant={deciding?.approve === true ? 'primary' : 'danger'}
            isLoading={decide.isPending}
            isDisabled={decide.isPending}
            onClick={() => deciding !== undefined && decide.mutate(deciding)}
          >
            {deciding?.approve === true ? 'Approve' : 'Decline'}
          </Button>
          <Button variant="link" onClick={() => setDeciding(undefined)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </PageSection>
  );
}
