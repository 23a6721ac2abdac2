/**
 * A zone: its description, the rules partners' images are checked against in it, this company's
 * request (pending / approved / rejected with the reason), apply, and the zone appendix to accept
 * once access is approved. The zone e-mails link here.
 */
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
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

const POLICY_NAMES = {
  'connect-2018': 'Connect 2018 (the 13 assessments of the guide)',
  container: 'Container (preflight semantics)',
} as const;

/** The zone screen. */
export default function ZonePage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <ZoneScreen id={id} user={user} />}</RequireSession>;
}

function ZoneScreen({ id, user }: { id: string; user: User }) {
  const query = useQuery({
    queryKey: ['zones', id],
    queryFn: async () => ok(await api.GET('/api/v1/zones/{id}', { params: { path: { id } } })),
  });
  if (query.isLoading) {
    return <Loading label="Loading the zone" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    if (problem.status === 404 || problem.status === 400) {
      return <NotFound title="Zone not found" detail="There is no zone at this address." />;
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The zone could not be loaded" />
      </PageSection>
    );
  }
  if (query.data === undefined) {
    return null;
  }
  const zone = query.data;
  return (
    <>
      <PageSection>
        <LinkButton variant="link" isInline to="/zones">
          All zones
        </LinkButton>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          {zone.name}
        </Title>
        <p className="hm-partner-text">{zone.description}</p>
      </PageSection>
      <Access zone={zone} user={user} />
      <Appendix zone={zone} user={user} />
      <Rules zone={zone} />
    </>
  );
}

/** The company's request for the zone, and Apply. */
function Access({ zone, user }: { zone: Zone; user: User }) {
  const client = useQueryClient();
  const company = useCompany(user);
  const apply = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/zones/{id}/requests', { params: { path: { id: zone.id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['zones'] }),
  });
  const blocker = applyBlocker(user, company.data);
  const access = zone.access;
  return (
    <PageSection aria-labelledby="access-title">
      <Title headingLevel="h2" id="access-title" className="hm-title">
        Your company’s access
      </Title>
      <DescriptionList isHorizontal isCompact>
        <DescriptionListGroup>
          <DescriptionListTerm>Status</DescriptionListTerm>
          <DescriptionListDescription>
            <AccessLabel access={access} />
          </DescriptionListDescription>
        </DescriptionListGroup>
        {access === null ? null : (
          <>
            <DescriptionListGroup>
              <DescriptionListTerm>Requested</DescriptionListTerm>
              <DescriptionListDescription>
                {formatDate(access.requestedAt)}
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Decided</DescriptionListTerm>
              <DescriptionListDescription>
                {formatDate(access.decidedAt)}
              </DescriptionListDescription>
            </DescriptionListGroup>
            {access.reason === null ? null : (
              <DescriptionListGroup>
                <DescriptionListTerm>Reason</DescriptionListTerm>
                <DescriptionListDescription className="hm-partner-text">
                  {access.reason}
                </DescriptionListDescription>
              </DescriptionListGroup>
            )}
          </>
        )}
      </DescriptionList>
      {access?.status === 'pending' ? (
        <p className="hm-partner-section">
          Your request is waiting for a decision; you will be e-mailed when staff decide.
        </p>
      ) : null}
      {canApply(access) ? (
        <>
          {company.isLoading ? null : <ApplyBlocker user={user} reason={blocker} />}
          <ActionGroup>
            <Button
              variant="primary"
              onClick={() => apply.mutate()}
              isDisabled={blocker !== undefined || company.isLoading || apply.isPending}
              isLoading={apply.isPending}
              aria-describedby={blocker === undefined ? undefined : 'apply-reason'}
            >
              Apply for zone access
            </Button>
          </ActionGroup>
          <ProblemAlert problem={apply.isError ? problemOf(apply.error) : undefined} />
        </>
      ) : null}
    </PageSection>
  );
}

/** The zone appendix: its text and, once access is approved, Accept (org admins). */
function Appendix({ zone, user }: { zone: Zone; user: User }) {
  const client = useQueryClient();
  const appendix = zone.appendix;
  const accept = useMutation({
    mutationFn: async (version: string) =>
      ok(
        await api.POST('/api/v1/zones/{id}/appendix', {
          params: { path: { id: zone.id } },
          body: { version },
        }),
      ),
    onSuccess: (data) => {
      client.setQueryData(['zones', zone.id], data);
      void client.invalidateQueries({ queryKey: ['zones'] });
    },
  });
  if (appendix === null) {
    return null;
  }
  const access = zone.access;
  const acceptedAt = access?.appendixAcceptedAt ?? null;
  return (
    <PageSection aria-labelledby="appendix-title">
      <Card>
        <CardTitle>
          <Title headingLevel="h2" id="appendix-title">
            Zone appendix: {appendix.title}
          </Title>
        </CardTitle>
        <CardBody>
          <p>Version {appendix.version}</p>
          <div className="hm-partner-text hm-partner-section">{appendix.body}</div>
          {acceptedAt !== null ? (
            <Alert
              variant="success"
              isInline
              title={`Accepted on ${formatDate(acceptedAt)}`}
              className="hm-partner-section"
            />
          ) : access?.status !== 'approved' ? (
            <p className="hm-partner-section">
              Once your request is approved, an organization administrator accepts this appendix.
            </p>
          ) : !user.orgAdmin ? (
            <p className="hm-partner-section">
              An organization administrator of your company has to accept this appendix.
            </p>
          ) : (
            <>
              <ActionGroup>
                <Button
                  variant="primary"
                  onClick={() => accept.mutate(appendix.version)}
                  isLoading={accept.isPending}
                  isDisabled={accept.isPending}
                >
                  Accept the zone appendix
                </Button>
              </ActionGroup>
              <ProblemAlert problem={accept.isError ? problemOf(accept.error) : undefined} />
            </>
          )}
        </CardBody>
      </Card>
    </PageSection>
  );
}

/** The rules visible to partners: policy, release categories, advisory checks, image limits. */
function Rules({ zone }: { zone: Zone }) {
  const s = zone.settings;
  return (
    <PageSection aria-labelledby="rules-title">
      <Title headingLevel="h2" id="rules-title" className="hm-title">
        Rules of the zone
      </Title>
      <DescriptionList isHorizontal isCompact className="hm-partner-wrap">
        <DescriptionListGroup>
          <DescriptionListTerm>Certification policy</DescriptionListTerm>
          <DescriptionListDescription>
            {POLICY_NAMES[zone.policy]}{' '}
            <LinkButton variant="link" isInline to="/policy">
              Read the assessments
            </LinkButton>
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Release categories</DescriptionListTerm>
          <DescriptionListDescription>
            {zone.releaseCategories.length === 0 ? '—' : zone.releaseCategories.join(', ')}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Advisory assessments</DescriptionListTerm>
          <DescriptionListDescription>
            {zone.advisoryChecks.length === 0
              ? 'None: every assessment is required'
              : zone.advisoryChecks.join(', ')}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Most layers in an image</DescriptionListTerm>
          <DescriptionListDescription>{s.maxLayers}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Approved base images</DescriptionListTerm>
          <DescriptionListDescription>
            {s.approvedBaseImages.length === 0
              ? '—'
              : s.approvedBaseImages.map((b) => b.name).join(', ')}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Prohibited label pattern</DescriptionListTerm>
          <DescriptionListDescription className="hm-mono">
            {s.prohibitedLabelPattern === '' ? '—' : s.prohibitedLabelPattern}
          </DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
    </PageSection>
  );
}
