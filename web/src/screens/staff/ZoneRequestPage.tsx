/** One zone request (the staff e-mail about a new request links here): approve or reject it. */
import {
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import { Decide } from './shared';

/** The zone request screen. */
export default function ZoneRequestPage() {
  const { id = '' } = useParams();
  return <RequireSession staff>{() => <ZoneRequest id={id} />}</RequireSession>;
}

function ZoneRequest({ id }: { id: string }) {
  const client = useQueryClient();
  const key = ['zone-request', id];
  const query = useQuery({
    queryKey: key,
    queryFn: async () =>
      ok(await api.GET('/api/v1/zone-requests/{id}', { params: { path: { id } } })),
  });
  const decide = useMutation({
    mutationFn: async (reason: string | null) =>
      reason === null
        ? ok(
            await api.POST('/api/v1/zone-requests/{id}/approve', {
              params: { path: { id } },
              body: {},
            }),
          )
        : ok(
            await api.POST('/api/v1/zone-requests/{id}/reject', {
              params: { path: { id } },
              body: { reason },
            }),
          ),
    onSuccess: (data) => client.setQueryData(key, data),
  });
  if (query.isPending) {
    return <Loading label="Loading the zone request" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    return problem.status === 404 || problem.status === 400 ? (
      <NotFound />
    ) : (
      <PageSection>
        <ProblemAlert problem={problem} />
      </PageSection>
    );
  }
  const r = query.data;
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Zone request: {r.company.name}
      </Title>
      <DescriptionList isHorizontal>
        <DescriptionListGroup>
          <DescriptionListTerm>Company</DescriptionListTerm>
          <DescriptionListDescription>
            <Link to={`/companies/${r.company.id}`}>{r.company.name}</Link>
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Zone</DescriptionListTerm>
          <DescriptionListDescription>
            <Link to={`/staff/zones/${r.zone.id}`}>{r.zone.name}</Link>
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Status</DescriptionListTerm>
          <DescriptionListDescription>{r.status}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Requested</DescriptionListTerm>
          <DescriptionListDescription>
            {formatDate(r.createdAt)} by {r.requestedBy}
          </DescriptionListDescription>
        </DescriptionListGroup>
        {r.decidedAt !== null ? (
          <DescriptionListGroup>
            <DescriptionListTerm>Decided</DescriptionListTerm>
            <DescriptionListDescription>
              {formatDate(r.decidedAt)} by {r.decidedBy ?? '—'}
              {r.reason !== null ? ` (reason: ${r.reason})` : ''}
            </DescriptionListDescription>
          </DescriptionListGroup>
        ) : null}
      </DescriptionList>
      {decide.isError ? <ProblemAlert problem={problemOf(decide.error)} /> : null}
      {r.status === 'pending' ? (
        <Decide
          label="this request"
          approveLabel="Approve"
          rejectLabel="Reject"
          pending={decide.isPending}
          onApprove={() => decide.mutate(null)}
          onReject={(reason) => decide.mutate(reason)}
        />
      ) : null}
    </PageSection>
  );
}
