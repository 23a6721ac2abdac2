/**
 * The company dashboard (`/companies/:id`): profile completeness and the "Become a partner"
 * steps, the company logo (org admins upload, replace or remove it), zone status, projects that
 * need attention, and — for org admins — the five most recent users and the way to users and
 * join requests.
 */
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Gallery,
  List,
  ListItem,
  PageSection,
  Progress,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, type ChangeEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { TextLabel } from '../../components/TextLabel';
import { formatDate, httpUrl } from '../../format';
import { companyKey, CompanyNotFound, isNotFound, useCompany, type Company } from './parts';
import './company.css';

/** How many mandatory fields the profile has (src/modules/companies/profile.ts). */
const MANDATORY_FIELDS = 13;

/** The company dashboard screen. */
export default function CompanyDashboardPage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <Dashboard id={id} user={user} />}</RequireSession>;
}

function Dashboard({ id, user }: { id: string; user: User }) {
  const query = useCompany(id);
  if (query.isLoading) {
    return <Loading label="Loading the company" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    return isNotFound(problem) ? (
      <CompanyNotFound />
    ) : (
      <PageSection>
        <ProblemAlert problem={problem} title="The company could not be loaded" />
      </PageSection>
    );
  }
  const company = query.data;
  if (company === undefined) {
    return null;
  }
  const admin = user.staff || (user.orgAdmin && user.companyId === company.id);
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          {company.name}
        </Title>
        <p className="hm-company-muted">
          Company dashboard ·{' '}
          {company.partnerSince === null
            ? 'not a partner yet'
            : `partner since ${formatDate(company.partnerSince)}`}
        </p>
      </PageSection>
      <PageSection>
        <Gallery hasGutter minWidths={{ default: '100%', lg: '28rem' }}>
          <PartnerCard company={company} admin={admin} />
          <LogoCard company={company} admin={admin} />
          <ZonesCard companyId={company.id} />
          <ProjectsCard companyId={company.id} staff={user.staff} />
        </Gallery>
      </PageSection>
      {admin ? <RecentUsers company={company} /> : null}
    </>
  );
}

/** Profile completeness and the "Become a partner" steps. */
function PartnerCard({ company, admin }: { company: Company; admin: boolean }) {
  const filled = MANDATORY_FIELDS - company.missingFields.length;
  const steps = company.partnerStatus.steps;
  return (
    <Card isFullHeight>
      <CardTitle component="h2">Company profile</CardTitle>
      <CardBody>
        <Progress
          value={Math.round((filled / MANDATORY_FIELDS) * 100)}
          title="Mandatory fields filled in"
          label={`${filled} of ${MANDATORY_FIELDS}`}
          valueText={`${filled} of ${MANDATORY_FIELDS} mandatory fields filled in`}
          className="hm-company-gap"
        />
        <List isPlain aria-label="Become a partner steps" className="hm-company-gap">
          {steps.map((step) => (
            <ListItem key={step.key}>
              <TextLabel color={step.done ? 'green' : 'orange'} isCompact>
                {step.done ? 'Done' : 'To do'}
              </TextLabel>{' '}
              {step.title}
            </ListItem>
          ))}
        </List>
        {company.agreement === null ? null : (
          <p className="hm-company-gap">
            Program agreement version {company.agreement.version} accepted on{' '}
            {formatDate(company.agreement.acceptedAt)}
            {company.agreement.current ? '' : ' (a newer version awaits acceptance)'}.
          </p>
        )}
        {admin ? (
          <LinkButton
            variant={company.partnerStatus.complete ? 'secondary' : 'primary'}
            to={`/companies/${company.id}/become-partner`}
          >
            {company.partnerStatus.complete ? 'Edit company profile' : 'Complete the steps'}
          </LinkButton>
        ) : null}
      </CardBody>
    </Card>
  );
}

/** The company logo: shown to all members; org admins upload, replace or remove it. */
function LogoCard({ company, admin }: { company: Company; admin: boolean }) {
  const client = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const form = new FormData();
      form.append('file', file);
      return ok(
        await api.PUT('/api/v1/companies/{id}/logo', {
          params: { path: { id: company.id } },
          body: form as never,
        }),
      );
    },
    onSuccess: (saved) => client.setQueryData(companyKey(company.id), saved),
  });
  const remove = useMutation({
    mutationFn: async () =>
      ok(
        await api.DELETE('/api/v1/companies/{id}/logo', {
          params: { path: { id: company.id } },
        }),
      ),
    onSuccess: (saved) => client.setQueryData(companyKey(company.id), saved),
  });
  const src = httpUrl(company.logo?.url);
  const problem = upload.isError
    ? problemOf(upload.error)
    : remove.isError
      ? problemOf(remove.error)
      : undefined;

  const chosen = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file !== undefined) {
      upload.mutate(file);
    }
  };

  return (
    <Card isFullHeight>
      <CardTitle component="h2">Company logo</CardTitle>
      <CardBody>
        {src === undefined ? (
          <p className="hm-company-gap">No logo yet.</p>
        ) : (
          <img
            src={src}
            alt={`${company.name} logo`}
            className="hm-logo hm-company-gap"
            data-testid="company-logo"
          />
        )}
        <ProblemAlert problem={problem} title="The logo could not be changed" />
        {admin ? (
          <div className="hm-company-actions">
            <input
              ref={input}
              id="logo-file"
              type="file"
              accept="image/png,image/gif,image/jpeg"
              className="pf-v6-screen-reader"
              aria-label="Logo file"
              tabIndex={-1}
              onChange={chosen}
            />
            <Button
              variant="secondary"
              isLoading={upload.isPending}
              isDisabled={upload.isPending}
              onClick={() => input.current?.click()}
            >
              {src === undefined ? 'Upload a logo' : 'Replace the logo'}
            </Button>
            {src === undefined ? null : (
              <Button
                variant="link"
                isDanger
                isLoading={remove.isPending}
                isDisabled={remove.isPending}
                onClick={() => remove.mutate()}
              >
                Remove the logo
              </Button>
            )}
          </div>
        ) : null}
        {admin ? <p className="hm-company-muted">PNG, GIF or JPEG, smaller than 15 MB.</p> : null}
      </CardBody>
    </Card>
  );
}

/** The company's access to each zone. */
function ZonesCard({ companyId }: { companyId: string }) {
  const query = useQuery({
    queryKey: ['companies', companyId, 'zones'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/companies/{id}/zones', { params: { path: { id: companyId } } })),
  });
  return (
    <Card isFullHeight>
      <CardTitle component="h2">Zones</CardTitle>
      <CardBody>
        {query.isLoading ? (
          <Loading label="Loading zones" />
        ) : query.isError ? (
          <ProblemAlert problem={problemOf(query.error)} title="Zones could not be loaded" />
        ) : query.data === undefined || query.data.items.length === 0 ? (
          <p>No zones yet.</p>
        ) : (
          <DescriptionList isCompact isHorizontal>
            {query.data.items.map((zone) => (
              <DescriptionListGroup key={zone.id}>
                <DescriptionListTerm>
                  <Link to={`/zones/${zone.id}`}>{zone.name}</Link>
                </DescriptionListTerm>
                <DescriptionListDescription>{zoneStatus(zone.access)}</DescriptionListDescription>
              </DescriptionListGroup>
            ))}
          </DescriptionList>
        )}
      </CardBody>
    </Card>
  );
}

function zoneStatus(
  access: { status: 'pending' | 'approved' | 'rejected'; appendixAcceptedAt: string | null } | null,
) {
  if (access === null) {
    return <TextLabel isCompact>Not requested</TextLabel>;
  }
  if (access.status === 'approved') {
    return (
      <TextLabel color="green" isCompact>
        {access.appendixAcceptedAt === null ? 'Approved · appendix to accept' : 'Approved'}
      </TextLabel>
    );
  }
  return access.status === 'pending' ? (
    <TextLabel color="blue" isCompact>
      Pending
    </TextLabel>
  ) : (
    <TextLabel color="red" isCompact>
      Rejected
    </TextLabel>
  );
}

/** The newest projects whose certification checklist is not complete. */
function ProjectsCard({ companyId, staff }: { companyId: string; staff: boolean }) {
  const query = useQuery({
    queryKey: ['projects', 'attention', companyId],
    queryFn: async () => {
      const page = ok(
        await api.GET('/api/v1/projects', {
          // Staff see every company's projects: only this one's here.
          params: { query: { pageSize: 10, ...(staff ? { companyId } : {}) } },
        }),
      );
      const checked = await Promise.all(
        page.items.map(async (project) => {
          const list = ok(
            await api.GET('/api/v1/projects/{id}/checklist', {
              params: { path: { id: project.id } },
            }),
          );
          const todo = list.items.filter((i) => i.required && i.state === 'todo').length;
          return { id: project.id, name: project.name, certified: list.certified, todo };
        }),
      );
      return { total: page.items.length, open: checked.filter((p) => !p.certified) };
    },
  });
  return (
    <Card isFullHeight>
      <CardTitle component="h2">Projects needing attention</CardTitle>
      <CardBody>
        {query.isLoading ? (
          <Loading label="Loading projects" />
        ) : query.isError ? (
          <ProblemAlert problem={problemOf(query.error)} title="Projects could not be loaded" />
        ) : query.data === undefined || query.data.total === 0 ? (
          <p>
            No certification projects yet. <Link to="/projects">Go to projects</Link>.
          </p>
        ) : query.data.open.length === 0 ? (
          <p>Every recent project is certified.</p>
        ) : (
          <List isPlain>
            {query.data.open.map((p) => (
              <ListItem key={p.id}>
                <Link to={`/projects/${p.id}/checklist`}>{p.name}</Link>{' '}
                <span className="hm-company-muted">
                  · {p.todo} checklist item{p.todo === 1 ? '' : 's'} to do
                </span>
              </ListItem>
            ))}
          </List>
        )}
      </CardBody>
    </Card>
  );
}

/** The five most recently created users, and the ways to manage users and join requests. */
function RecentUsers({ company }: { company: Company }) {
  const query = useQuery({
    queryKey: ['companies', company.id, 'dashboard'],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies/{id}/dashboard', {
          params: { path: { id: company.id } },
        }),
      ),
  });
  const requests = useQuery({
    queryKey: ['companies', company.id, 'join-requests'],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies/{id}/join-requests', {
          params: { path: { id: company.id } },
        }),
      ),
  });
  const pending = requests.data?.items.length ?? 0;
  return (
    <PageSection aria-labelledby="users-title">
      <Title headingLevel="h2" id="users-title" className="hm-title">
        Users
      </Title>
      <p className="hm-company-gap">
        View and manage company users. The five most recently created users are listed.
      </p>
      {pending === 0 ? null : (
        <Alert
          variant="info"
          isInline
          className="hm-company-gap"
          title={`${pending} join request${pending === 1 ? '' : 's'} waiting for a decision`}
        >
          <Link to={`/companies/${company.id}/join-requests`}>Review join requests</Link>
        </Alert>
      )}
      {query.isLoading ? (
        <Loading label="Loading users" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="Users could not be loaded" />
      ) : query.data === undefined ? null : (
        <Table aria-label="Recent users" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>User name</Th>
              <Th>E-mail</Th>
              <Th>User type</Th>
              <Th>Date created</Th>
              <Th>Last accessed</Th>
            </Tr>
          </Thead>
          <Tbody>
            {query.data.recentUsers.map((u) => (
              <Tr key={u.id}>
                <Td dataLabel="User name">
                  {`${u.firstName} ${u.lastName}`.trim()}{' '}
                  <span className="hm-company-muted">({u.login})</span>
                </Td>
                <Td dataLabel="E-mail" className="hm-mono">
                  {u.email}
                </Td>
                <Td dataLabel="User type">{u.type === 'org_admin' ? 'Org Admin' : 'User'}</Td>
                <Td dataLabel="Date created">{formatDate(u.createdAt)}</Td>
                <Td dataLabel="Last accessed">{formatDate(u.lastAccessAt)}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <div className="hm-company-actions hm-company-top">
        <LinkButton variant="primary" to={`/companies/${company.id}/users`}>
          Manage users
        </LinkButton>
        <LinkButton variant="secondary" to={`/companies/${company.id}/join-requests`}>
          Join requests
        </LinkButton>
      </div>
      {query.data === undefined ? null : (
        <p className="hm-company-muted hm-company-top">
          {query.data.counts.active} active, {query.data.counts.inactive} inactive.
        </p>
      )}
    </PageSection>
  );
}
