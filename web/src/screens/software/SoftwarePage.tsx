/**
 * Software access: request a no-cost subscription per platform, and the company's requests with
 * their status. Org admins request; the grant e-mail links to the downloads page.
 */
import {
  Button,
  Card,
  CardBody,
  CardFooter,
  CardTitle,
  EmptyState,
  EmptyStateBody,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok, problemOf } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { TextLabel } from '../../components/TextLabel';
import { formatDate } from '../../format';
import '../partner.css';

type Platform = 'RHEL' | 'RHV';
const STATUS = {
  pending: <TextLabel color="orange">Pending</TextLabel>,
  granted: <TextLabel color="green">Granted</TextLabel>,
  declined: <TextLabel color="red">Declined</TextLabel>,
} as const;

/** The software access screen. */
export default function SoftwarePage() {
  return (
    <RequireSession>
      {(user) =>
        user.orgAdmin && user.companyId !== null ? (
          <Software />
        ) : (
          <NotFound
            title="Only organization administrators request software"
            detail="Ask an organization administrator of your company to request software access."
          />
        )
      }
    </RequireSession>
  );
}

function Software() {
  const client = useQueryClient();
  const platforms = useQuery({
    queryKey: ['software-platforms'],
    queryFn: async () => ok(await api.GET('/api/v1/software-platforms')),
  });
  const requests = useQuery({
    queryKey: ['software-requests'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/software-requests', { params: { query: { pageSize: 100 } } })),
  });
  const request = useMutation({
    mutationFn: async (platform: Platform) =>
      ok(await api.POST('/api/v1/software-requests', { body: { platforms: [platform] } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['software-requests'] }),
  });
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Software access
        </Title>
        <p>
          No cost software subscriptions (also called NFRs) for program partners. You will receive
          an e-mail once software access has been granted; granted subscriptions are on the{' '}
          <LinkButton variant="link" isInline to="/downloads">
            downloads page
          </LinkButton>
          .
        </p>
      </PageSection>
      <PageSection aria-labelledby="platforms-title">
        <Title headingLevel="h2" id="platforms-title" className="hm-title">
          Platforms
        </Title>
        <ProblemAlert problem={request.isError ? problemOf(request.error) : undefined} />
        {platforms.isLoading ? (
          <Loading label="Loading the platforms" />
        ) : platforms.isError ? (
          <ProblemAlert
            problem={problemOf(platforms.error)}
            title="The platforms could not be loaded"
          />
        ) : (
          <div className="hm-partner-grid">
            {platforms.data?.items.map((p) => (
              <Card
                key={p.id}
                component="section"
                aria-labelledby={`platform-${p.id}`}
                isFullHeight
              >
                <CardTitle>
                  <Title headingLevel="h3" id={`platform-${p.id}`}>
                    {p.name}
                  </Title>
                </CardTitle>
                <CardBody>
                  <p>{p.description}</p>
                  {p.includes.length === 0 ? null : <p>Includes: {p.includes.join(', ')}</p>}
                </CardBody>
                <CardFooter>
                  <Button
                    variant="primary"
                    aria-label={`Request subscription: ${p.name}`}
                    isLoading={request.isPending && request.variables === p.id}
                    isDisabled={request.isPending}
                    onClick={() => request.mutate(p.id as Platform)}
                  >
                    Request subscription
                  </Button>
                </CardFooter>
              </Card>
            ))}
          </div>
        )}
      </PageSection>
      <PageSection aria-labelledby="requests-title" aria-busy={requests.isFetching}>
        <Title headingLevel="h2" id="requests-title" className="hm-title">
          Your requests
        </Title>
        {requests.isLoading ? (
          <Loading label="Loading your requests" />
        ) : requests.isError ? (
          <ProblemAlert
            problem={problemOf(requests.error)}
            title="The requests could not be loaded"
          />
        ) : requests.data === undefined ? null : requests.data.items.length === 0 ? (
          <EmptyState titleText="No requests yet" headingLevel="h3">
            <EmptyStateBody>Request a subscription under the platform you need.</EmptyStateBody>
          </EmptyState>
        ) : (
          <Table aria-label="Software requests" variant="compact" gridBreakPoint="grid-md">
            <Thead>
              <Tr>
                <Th>Platform</Th>
                <Th>Status</Th>
                <Th>Requested</Th>
                <Th>Decided</Th>
              </Tr>
            </Thead>
            <Tbody>
              {requests.data.items.map((r) => (
                <Tr key={r.id}>
                  <Td dataLabel="Platform">{r.platformName}</Td>
                  <Td dataLabel="Status">{STATUS[r.status]}</Td>
                  <Td dataLabel="Requested">{formatDate(r.createdAt)}</Td>
                  <Td dataLabel="Decided">{formatDate(r.decidedAt)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
    </>
  );
}
