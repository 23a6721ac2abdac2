/**
 * Zones: every zone with this company's status in it, and "Apply for zone access" — disabled, with
 * the reason and the way to fix it, while the company profile is incomplete or the program
 * agreement is not accepted. The zone e-mails link here.
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
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, problemOf, type Problem, type User } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import '../partner.css';
import {
  AccessLabel,
  ApplyBlocker,
  applyBlocker,
  canApply,
  useCompany,
  type Zone,
} from './zoneParts';

/** The zones screen. */
export default function ZonesPage() {
  return <RequireSession>{(user) => <Zones user={user} />}</RequireSession>;
}

function Zones({ user }: { user: User }) {
  const client = useQueryClient();
  const company = useCompany(user);
  const zones = useQuery({
    queryKey: ['zones'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/zones', { params: { query: { pageSize: 100 } } })),
  });
  const [problems, setProblems] = useState<Record<string, Problem>>({});
  const apply = useMutation({
    mutationFn: async (id: string) =>
      ok(await api.POST('/api/v1/zones/{id}/requests', { params: { path: { id } } })),
    onSuccess: (_data, id) => {
      setProblems(({ [id]: _gone, ...rest }) => rest);
      void client.invalidateQueries({ queryKey: ['zones'] });
    },
    onError: (err, id) => setProblems((p) => ({ ...p, [id]: problemOf(err) })),
  });
  const blocker = applyBlocker(user, company.data);

  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Zones
        </Title>
        <p>
          Zones are special-interest areas for partners of varying types to get privileged access to
          information and activities. Apply for access to a zone before you create a certification
          project in it; you are e-mailed when staff decide.
        </p>
        {company.isLoading ? null : <ApplyBlocker user={user} reason={blocker} />}
        {company.isError ? (
          <ProblemAlert
            problem={problemOf(company.error)}
            title="Your company could not be loaded"
          />
        ) : null}
      </PageSection>
      <PageSection aria-labelledby="join-title" aria-busy={zones.isFetching}>
        <Title headingLevel="h2" id="join-title" className="hm-title">
          Join a Zone
        </Title>
        {zones.isLoading ? (
          <Loading label="Loading the zones" />
        ) : zones.isError ? (
          <ProblemAlert problem={problemOf(zones.error)} title="The zones could not be loaded" />
        ) : zones.data === undefined ? null : zones.data.items.length === 0 ? (
          <EmptyState titleText="No zones yet" headingLevel="h3">
            <EmptyStateBody>Program staff have not opened any zone yet.</EmptyStateBody>
          </EmptyState>
        ) : (
          <div className="hm-partner-grid">
            {zones.data.items.map((zone) => (
              <ZoneCard
                key={zone.id}
                zone={zone}
                blocked={blocker !== undefined || company.isLoading}
                pending={apply.isPending && apply.variables === zone.id}
                problem={problems[zone.id]}
                onApply={() => apply.mutate(zone.id)}
              />
            ))}
          </div>
        )}
      </PageSection>
    </>
  );
}

function ZoneCard({
  zone,
  blocked,
  pending,
  problem,
  onApply,
}: {
  zone: Zone;
  blocked: boolean;
  pending: boolean;
  problem: Problem | undefined;
  onApply: () => void;
}) {
  const titleId = `zone-${zone.id}`;
  return (
    <Card component="section" aria-labelledby={titleId} isFullHeight>
      <CardTitle>
        <Title headingLevel="h3" id={titleId}>
          {zone.name}
        </Title>
      </CardTitle>
      <CardBody>
        <p className="hm-partner-text">{zone.description}</p>
        <p className="hm-partner-section">
          Status: <AccessLabel access={zone.access} />
          {zone.access === null
            ? null
            : ` since ${formatDate(zone.access.decidedAt ?? zone.access.requestedAt)}`}
        </p>
        {zone.access?.status === 'rejected' && zone.access.reason !== null ? (
          <p className="hm-partner-text">Reason: {zone.access.reason}</p>
        ) : null}
        {zone.access?.status === 'approved' &&
        zone.appendix !== null &&
        zone.access.appendixAcceptedAt === null ? (
          <p>The zone appendix is waiting to be accepted.</p>
        ) : null}
        <ProblemAlert problem={problem} />
      </CardBody>
      <CardFooter className="hm-partner-actions">
        {canApply(zone.access) ? (
          <Button
            variant="primary"
            onClick={onApply}
            isDisabled={blocked || pending}
            isLoading={pending}
            aria-describedby={blocked ? 'apply-reason' : undefined}
          >
            Apply for zone access
          </Button>
        ) : null}
        <LinkButton variant="secondary" to={`/zones/${zone.id}`} aria-label={`Open ${zone.name}`}>
          Open the zone
        </LinkButton>
      </CardFooter>
    </Card>
  );
}
