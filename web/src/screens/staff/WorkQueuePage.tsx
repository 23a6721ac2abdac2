/**
 * The staff work queue: pending zone requests, software requests, join requests, in-tree
 * confirmations, distribution approvals and open export compliance reviews (submitted, deferred or
 * waiting for the partner's answers; overdue first), each with its action or a link to where it
 * is done, and counts per kind.
 */
import { Button, PageSection, Title } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { api, done, ok, problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import { Decide } from './shared';
import { TextLabel } from '../../components/TextLabel';

const QUEUE = ['staff', 'queue'] as const;

/** Questionnaires still open: staff owe a decision, or wait for the partner's answers. */
const REVIEW_STATUSES = ['submitted', 'deferred', 'information_requested'] as const;

/** How the queue names a review's status. */
const REVIEW_STATUS_LABEL: Record<string, string> = {
  submitted: 'Submitted',
  deferred: 'Deferred',
  information_requested: 'Waiting for answers',
};

/** The work queue screen. */
export default function WorkQueuePage() {
  return <RequireSession staff>{() => <Queue />}</RequireSession>;
}

function Queue() {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: QUEUE,
    queryFn: async () => {
      const [zones, software, joins, projects, ...open] = await Promise.all([
        api.GET('/api/v1/zone-requests', { params: { query: { status: 'pending' } } }).then(ok),
        api.GET('/api/v1/software-requests', { params: { query: { status: 'pending' } } }).then(ok),
        api.GET('/api/v1/join-requests', { params: { query: { status: 'pending' } } }).then(ok),
        api.GET('/api/v1/projects', { params: { query: { pageSize: 100 } } }).then(ok),
        // The earliest target date first: a long list still starts with the overdue reviews.
        ...REVIEW_STATUSES.map((status) =>
          api
            .GET('/api/v1/export-compliance', { params: { query: { status, order: 'due' } } })
            .then(ok),
        ),
      ]);
      const reviews = open
        .flatMap((page) => page.items)
        .sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.dueAt.localeCompare(b.dueAt));
      return {
        zones: zones.items,
        software: software.items,
        joins: joins.items,
        reviews,
        tree: projects.items.filter((p) => p.tree === 'in' && p.treeConfirmedAt === null),
        distribution: projects.items.filter(
          (p) => p.tree !== null && p.distributionApprovedAt === null,
        ),
      };
    },
  });
  const refresh = () => void client.invalidateQueries({ queryKey: QUEUE });
  const act = useMutation({
    mutationFn: async (run: () => Promise<void>) => run(),
    onSuccess: refresh,
  });
  if (query.isPending) {
    return <Loading label="Loading the work queue" />;
  }
  if (query.isError) {
    return (
      <PageSection>
        <ProblemAlert problem={problemOf(query.error)} />
      </PageSection>
    );
  }
  const q = query.data;
  const pending = act.isPending;
  const overdue = q.reviews.filter((r) => r.overdue).length;
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Work queue
        </Title>
        <p>Pending work of the program staff, oldest first.</p>
        <ul className="hm-staff-counts" aria-label="Counts">
          <li>Zone requests: {q.zones.length}</li>
          <li>Software requests: {q.software.length}</li>
          <li>Join requests: {q.joins.length}</li>
          <li>In-tree confirmations: {q.tree.length}</li>
          <li>Distribution approvals: {q.distribution.length}</li>
          <li>
            Export compliance reviews: {q.reviews.length}
            {overdue === 0 ? '' : ` (${overdue} overdue)`}
          </li>
        </ul>
        {act.isError ? <ProblemAlert problem={problemOf(act.error)} /> : null}
      </PageSection>
      <PageSection aria-labelledby="zr-title">
        <Title headingLevel="h2" id="zr-title">
          Zone requests
        </Title>
        {q.zones.length === 0 ? (
          <p>No pending zone requests.</p>
        ) : (
          <Table aria-label="Zone requests" variant="compact">
            <Thead>
              <Tr>
                <Th>Company</Th>
                <Th>Zone</Th>
                <Th>Requested</Th>
                <Th>Decision</Th>
              </Tr>
            </Thead>
            <Tbody>
              {q.zones.map((r) => (
                <Tr key={r.id}>
                  <Td dataLabel="Company">
                    <Link to={`/zone-requests/${r.id}`}>{r.company.name}</Link>
                  </Td>
                  <Td dataLabel="Zone">{r.zone.name}</Td>
                  <Td dataLabel="Requested">{formatDate(r.createdAt)}</Td>
                  <Td dataLabel="Decision">
                    <Decide
                      label={`${r.company.name}, ${r.zone.name}`}
                      approveLabel="Approve"
                      rejectLabel="Reject"
                      pending={pending}
                      onApprove={() =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/zone-requests/{id}/approve', {
                              params: { path: { id: r.id } },
                              body: {},
                            }),
                          ),
                        )
                      }
                      onReject={(reason) =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/zone-requests/{id}/reject', {
                              params: { path: { id: r.id } },
                              body: { reason },
                            }),
                          ),
                        )
                      }
                    />
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      <PageSection aria-labelledby="sw-title">
        <Title headingLevel="h2" id="sw-title">
          Software requests
        </Title>
        {q.software.length === 0 ? (
          <p>No pending software requests.</p>
        ) : (
          <Table aria-label="Software requests" variant="compact">
            <Thead>
              <Tr>
                <Th>Company</Th>
                <Th>Platform</Th>
                <Th>Requested</Th>
                <Th>Decision</Th>
              </Tr>
            </Thead>
            <Tbody>
              {q.software.map((r) => (
                <Tr key={r.id}>
                  <Td dataLabel="Company">
                    <Link to={`/companies/${r.companyId}`}>Company dashboard</Link>
                  </Td>
                  <Td dataLabel="Platform">{r.platformName}</Td>
                  <Td dataLabel="Requested">{formatDate(r.createdAt)}</Td>
                  <Td dataLabel="Decision">
                    <Decide
                      label={r.platformName}
                      approveLabel="Grant"
                      rejectLabel="Decline"
                      pending={pending}
                      onApprove={() =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/software-requests/{id}/grant', {
                              params: { path: { id: r.id } },
                            }),
                          ),
                        )
                      }
                      onReject={(reason) =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/software-requests/{id}/decline', {
                              params: { path: { id: r.id } },
                              body: { reason },
                            }),
                          ),
                        )
                      }
                    />
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      <PageSection aria-labelledby="jr-title">
        <Title headingLevel="h2" id="jr-title">
          Join requests
        </Title>
        {q.joins.length === 0 ? (
          <p>No pending join requests.</p>
        ) : (
          <>
            <p>
              A company&apos;s organization administrators decide its join requests; staff decide
              for a company that has none.
            </p>
            <Table aria-label="Join requests" variant="compact">
              <Thead>
                <Tr>
                  <Th>Requester</Th>
                  <Th>Company</Th>
                  <Th>Asked</Th>
                  <Th>Message</Th>
                  <Th>Decision</Th>
                </Tr>
              </Thead>
              <Tbody>
                {q.joins.map((r) => {
                  const who = `${r.requester.firstName} ${r.requester.lastName}`.trim();
                  const decide = (action: 'approve' | 'decline') =>
                    act.mutate(async () =>
                      done(
                        await api.POST(`/api/v1/join-requests/{id}/${action}`, {
                          params: { path: { id: r.id } },
                        }),
                      ),
                    );
                  return (
                    <Tr key={r.id}>
                      <Td dataLabel="Requester" className="hm-staff-wrap">
                        {r.requester.login}
                        {who === '' ? '' : ` (${who}, ${r.requester.email})`}
                      </Td>
                      <Td dataLabel="Company">
                        <Link to={`/companies/${r.company.id}/join-requests`}>
                          {r.company.name}
                        </Link>
                      </Td>
                      <Td dataLabel="Asked">{formatDate(r.createdAt)}</Td>
                      <Td dataLabel="Message" className="hm-staff-wrap">
                        {r.message ?? ''}
                      </Td>
                      <Td dataLabel="Decision">
                        <div className="hm-staff-reason">
                          <Button
                            size="sm"
                            isDisabled={pending}
                            aria-label={`Approve ${r.requester.login} joining ${r.company.name}`}
                            onClick={() => decide('approve')}
                          >
                            Approve
                          </Button>
                          <Button
                            size="sm"
                            variant="secondary"
                            isDisabled={pending}
                            aria-label={`Decline ${r.requester.login} joining ${r.company.name}`}
                            onClick={() => decide('decline')}
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
          </>
        )}
      </PageSection>
      <PageSection aria-labelledby="proj-title">
        <Title headingLevel="h2" id="proj-title">
          Projects waiting for staff
        </Title>
        {q.tree.length + q.distribution.length === 0 ? (
          <p>No in-tree confirmations or distribution approvals are waiting.</p>
        ) : (
          <Table aria-label="Projects waiting for staff" variant="compact">
            <Thead>
              <Tr>
                <Th>Project</Th>
                <Th>Waiting for</Th>
                <Th>Action</Th>
              </Tr>
            </Thead>
            <Tbody>
              {q.tree.map((p) => (
                <Tr key={`tree-${p.id}`}>
                  <Td dataLabel="Project">
                    <Link to={`/projects/${p.id}`}>{p.name}</Link>
                  </Td>
                  <Td dataLabel="Waiting for">In-tree confirmation</Td>
                  <Td dataLabel="Action">
                    <Button
                      size="sm"
                      isDisabled={pending}
                      onClick={() =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/projects/{id}/tree/confirm', {
                              params: { path: { id: p.id } },
                            }),
                          ),
                        )
                      }
                    >
                      Confirm in-tree
                    </Button>
                  </Td>
                </Tr>
              ))}
              {q.distribution.map((p) => (
                <Tr key={`dist-${p.id}`}>
                  <Td dataLabel="Project">
                    <Link to={`/projects/${p.id}`}>{p.name}</Link>
                  </Td>
                  <Td dataLabel="Waiting for">Distribution approval</Td>
                  <Td dataLabel="Action">
                    <Button
                      size="sm"
                      isDisabled={pending}
                      onClick={() =>
                        act.mutate(async () =>
                          done(
                            await api.POST('/api/v1/projects/{id}/distribution-approval', {
                              params: { path: { id: p.id } },
                            }),
                          ),
                        )
                      }
                    >
                      Approve distribution
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      <PageSection aria-labelledby="ec-title">
        <Title headingLevel="h2" id="ec-title">
          Export compliance reviews
        </Title>
        {q.reviews.length === 0 ? (
          <p>No export compliance questionnaires are open.</p>
        ) : (
          <Table aria-label="Export compliance reviews" variant="compact">
            <Thead>
              <Tr>
                <Th>Questionnaire</Th>
                <Th>Status</Th>
                <Th>Target date</Th>
              </Tr>
            </Thead>
            <Tbody>
              {q.reviews.map((r) => (
                <Tr key={r.id}>
                  <Td dataLabel="Questionnaire">
                    <Link to={`/export-compliance/${r.id}`}>
                      Submitted {formatDate(r.submittedAt)}
                    </Link>
                  </Td>
                  <Td dataLabel="Status">
                    {r.overdue ? <TextLabel color="red">Overdue</TextLabel> : null}{' '}
                    {REVIEW_STATUS_LABEL[r.status] ?? r.status}
                  </Td>
                  <Td dataLabel="Target date">{formatDate(r.dueAt)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
    </>
  );
}
