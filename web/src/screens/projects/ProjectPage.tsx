/**
 * One certification project, in tabs that each have their own address: the checklist (what is
 * done, what is left and where to fix it), the registry (namespace, login commands, key
 * rotation), the images (the guide's Container Information, live while scans run; Publish waits
 * for the checklist), settings (where staff confirm the in-tree or out-of-tree declaration and
 * approve the distribution) and the Build Service (BuildServiceTab.tsx, its own chunk).
 */
import {
  ActionGroup,
  Alert,
  Button,
  ClipboardCopy,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Radio,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, done, ok, problemOf, type Problem, type User } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { CopyCommand } from '../../components/CopyCommand';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { SubmitButton, TextField } from '../../components/FormParts';
import { GradeBadge } from '../../components/GradeBadge';
import { LazyTooltip } from '../../components/LazyTooltip';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { Table, Tbody, Td, Th, Thead, Tr } from '../../components/PlainTable';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { RouteTabs } from '../../components/RouteTabs';
import { TextLabel } from '../../components/TextLabel';
import { formatDate } from '../../format';
import { takeKey } from './projectKey';
import { checklistQuery, imagesQuery, projectQuery } from './queries';
import './projects.css';

const TABS = ['checklist', 'registry', 'images', 'build-service', 'settings'] as const;
type TabKey = (typeof TABS)[number];
const TAB_TITLES: Record<TabKey, string> = {
  checklist: 'Checklist',
  registry: 'Registry',
  images: 'Images',
  'build-service': 'Build Service',
  settings: 'Settings',
};

/** The Build Service tab, loaded when first opened. */
const BuildServiceTab = lazy(() => import('./BuildServiceTab'));

/** The project screen. */
export default function ProjectPage() {
  return <RequireSession>{(user) => <Project user={user} />}</RequireSession>;
}

function useProject(id: string) {
  return useQuery(projectQuery(id));
}
type ProjectData = NonNullable<ReturnType<typeof useProject>['data']>;

function Project({ user }: { user: User }) {
  const { id = '', tab = 'checklist' } = useParams();
  const project = useProject(id);
  if (!(TABS as readonly string[]).includes(tab)) {
    return <NotFound />;
  }
  if (project.isLoading) {
    return <Loading label="Loading the project" />;
  }
  if (project.isError) {
    const problem = problemOf(project.error);
    if (problem.status === 404 || problem.status === 403) {
      return (
        <NotFound
          title="Project not found"
          detail="There is no such project, or it is not yours."
        />
      );
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The project could not be loaded" />
      </PageSection>
    );
  }
  if (project.data === undefined) {
    return null;
  }
  const p = project.data;
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          {p.name}
        </Title>
        <p>
          {p.product?.name ?? 'No product'} {p.productVersion?.version ?? ''} · zone{' '}
          {p.zone?.name ?? '—'}
        </p>
      </PageSection>
      <PageSection>
        <RouteTabs
          tabs={TABS.map((t) => ({ key: t, title: TAB_TITLES[t], to: `/projects/${id}/${t}` }))}
          current={tab}
          aria-label="Project sections"
        >
          {tab === 'checklist' ? (
            <Checklist project={p} />
          ) : tab === 'registry' ? (
            <Registry project={p} />
          ) : tab === 'images' ? (
            <Images project={p} />
          ) : tab === 'build-service' ? (
            <Suspense fallback={<Loading label="Loading the Build Service" />}>
              <BuildServiceTab project={p} user={user} />
            </Suspense>
          ) : (
            <Settings project={p} user={user} />
          )}
        </RouteTabs>
      </PageSection>
    </>
  );
}

/** Where each checklist item is fixed. */
function fixLink(key: string, p: ProjectData): { to: string; label: string } | string {
  switch (key) {
    case 'company_profile':
    case 'program_agreement':
      return { to: '/company', label: 'Company profile' };
    case 'product_profile':
    case 'documentation':
    case 'project_product':
      return p.product === null
        ? { to: '/products', label: 'Products' }
        : { to: `/products/${p.product.id}`, label: 'Product page' };
    case 'zone_appendix':
    case 'zone_access':
      return p.zone === null
        ? { to: '/zones', label: 'Zones' }
        : { to: `/zones/${p.zone.id}`, label: 'Zone page' };
    case 'project_profile':
    case 'sales_contact':
      return { to: `/projects/${p.id}/settings`, label: 'Project settings' };
    case 'registry_namespace':
      return { to: `/projects/${p.id}/registry`, label: 'Registry' };
    case 'package_and_test':
      return { to: `/projects/${p.id}/images`, label: 'Images' };
    case 'build_service':
      return { to: `/projects/${p.id}/build-service`, label: 'Build Service' };
    case 'distribution_approval':
      return 'Hallmark staff approve the distribution; nothing to do on your side.';
    default:
      return '';
  }
}

function useChecklist(id: string) {
  return useQuery(checklistQuery(id));
}

/**
 * Why no image of the project can be published yet, from its checklist: the required items not
 * done, but "package and test", which the image at hand does (it passed its scan). Undefined when
 * nothing is missing, or when the checklist could not be read (the server decides then).
 */
function publishingBlocked(checklist: ReturnType<typeof useChecklist>): string | undefined {
  if (checklist.isLoading) {
    return 'Reading the checklist…';
  }
  const missing = (checklist.data?.items ?? []).filter(
    (i) => i.required && i.state !== 'done' && i.key !== 'package_and_test',
  );
  return missing.length === 0
    ? undefined
    : `The project is not certified yet; publishing needs: ${missing.map((m) => m.title).join('; ')}.`;
}

function Checklist({ project }: { project: ProjectData }) {
  const query = useChecklist(project.id);
  if (query.isLoading) {
    return <Loading label="Loading the checklist" />;
  }
  if (query.isError) {
    return (
      <ProblemAlert problem={problemOf(query.error)} title="The checklist could not be loaded" />
    );
  }
  if (query.data === undefined) {
    return null;
  }
  return (
    <div className="hm-projects-stack">
      <Alert
        isInline
        variant={query.data.certified ? 'success' : 'info'}
        title={
          query.data.certified
            ? 'This project is certified'
            : 'Complete the required items to certify this project'
        }
      />
      <Table aria-label="Certification checklist" gridBreakPoint="grid-md" variant="compact">
        <Thead>
          <Tr>
            <Th>Item</Th>
            <Th>State</Th>
            <Th>Why</Th>
            <Th>Where to fix it</Th>
          </Tr>
        </Thead>
        <Tbody>
          {query.data.items.map((item) => {
            const fix = fixLink(item.key, project);
            return (
              <Tr key={item.key}>
                <Td dataLabel="Item">
                  {item.title}
                  {item.required ? null : ' (optional)'}
                </Td>
                <Td dataLabel="State">
                  <TextLabel
                    color={
                      item.state === 'done' ? 'green' : item.state === 'todo' ? 'orange' : 'grey'
                    }
                  >
                    {item.state === 'done'
                      ? 'Done'
                      : item.state === 'todo'
                        ? 'To do'
                        : 'Not applicable'}
                  </TextLabel>
                </Td>
                <Td dataLabel="Why">{item.detail}</Td>
                <Td dataLabel="Where to fix it">
                  {typeof fix === 'string' ? fix : <Link to={fix.to}>{fix.label}</Link>}
                </Td>
              </Tr>
            );
          })}
        </Tbody>
      </Table>
    </div>
  );
}

function Registry({ project }: { project: ProjectData }) {
  const client = useQueryClient();
  const [newKey, setNewKey] = useState<string | undefined>(() => takeKey(project.id));
  const [confirming, setConfirming] = useState(false);
  const info = useQuery({
    queryKey: ['project', project.id, 'registry'],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/projects/{id}/registry-key', {
          params: { path: { id: project.id } },
        }),
      ),
  });
  const rotate = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects/{id}/registry-key/rotate', {
          params: { path: { id: project.id } },
        }),
      ),
    onSuccess: (p) => {
      setNewKey(p.registryKey);
      setConfirming(false);
      void client.invalidateQueries({ queryKey: ['project', project.id] });
    },
  });
  if (info.isLoading) {
    return <Loading label="Loading the registry" />;
  }
  if (info.isError) {
    return (
      <ProblemAlert problem={problemOf(info.error)} title="The registry could not be loaded" />
    );
  }
  if (info.data === undefined) {
    return null;
  }
  const host = info.data.registryHost;
  const ref = `${host}/${info.data.namespace}`;
  const key = newKey ?? '<registry key>';
  return (
    <div className="hm-projects-stack">
      {newKey === undefined ? null : (
        <Alert variant="success" isInline title="Copy the registry key now: it is shown only once">
          <ClipboardCopy
            isReadOnly
            isCode
            hoverTip="Copy the key"
            clickTip="Copied"
            textAriaLabel="Registry key"
          >
            {newKey}
          </ClipboardCopy>
        </Alert>
      )}
      <DescriptionList isHorizontal isCompact>
        <DescriptionListGroup>
          <DescriptionListTerm>Namespace</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {info.data.namespace}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Registry</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {host}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Key starts with</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {info.data.registryKeyPrefix}
          </DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      <p>Log in with any user name and the registry key as the password.</p>
      <CopyCommand label="docker login" command={`docker login -u unused -p ${key} ${host}`} />
      <CopyCommand label="podman login" command={`podman login -u unused -p ${key} ${host}`} />
      <CopyCommand
        label="skopeo copy"
        command={`skopeo copy --dest-creds unused:${key} docker-archive:image.tar docker://${ref}/<repository>:1.0`}
      />
      <CopyCommand label="Push" command={info.data.pushExample} />
      <p>{info.data.note}</p>
      <Button variant="secondary" isDanger onClick={() => setConfirming(true)}>
        Rotate the registry key
      </Button>
      <Modal
        variant="small"
        isOpen={confirming}
        onClose={() => setConfirming(false)}
        aria-labelledby="rotate-title"
      >
        <ModalHeader title="Rotate the registry key?" labelId="rotate-title" />
        <ModalBody>
          The current key stops working at once; pushes and pulls that use it fail until they use
          the new key.
          <ProblemAlert problem={rotate.isError ? problemOf(rotate.error) : undefined} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant="danger"
            isLoading={rotate.isPending}
            isDisabled={rotate.isPending}
            onClick={() => rotate.mutate()}
          >
            Rotate
          </Button>
          <Button variant="link" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </div>
  );
}

/**
 * An image's repository as the project's rows show it: its name within the project's namespace
 * (`<namespace>/ubi` reads `ubi`), the whole `<namespace>/<repository>` otherwise.
 */
function repositoryName(repository: string, namespace: string): string {
  return repository.startsWith(`${namespace}/`)
    ? repository.slice(namespace.length + 1)
    : repository;
}

/** The guide's Container Information table, refreshed every 2 s while a scan runs. */
function Images({ project }: { project: ProjectData }) {
  const client = useQueryClient();
  const [removing, setRemoving] = useState<{ id: string; tag: string } | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const pages = useCursorPages();
  const query = useQuery({
    ...imagesQuery(project.id, pages.cursor),
    // Live while a scan runs; while empty, watch for the first push.
    refetchInterval: (q) =>
      q.state.data?.items.some((i) => i.status === 'scan_in_progress') === true
        ? 2000
        : q.state.data?.items.length === 0
          ? 5000
          : false,
  });
  const checklist = useChecklist(project.id);
  const blocked = publishingBlocked(checklist);
  const refresh = () => void client.invalidateQueries({ queryKey: ['project', project.id] });
  const act = useMutation({
    mutationFn: async ({
      id,
      action,
    }: {
      id: string;
      action: 'publish' | 'unpublish' | 'remove';
    }) => {
      if (action === 'remove') {
        done(await api.DELETE('/api/v1/images/{id}', { params: { path: { id } } }));
      } else if (action === 'publish') {
        ok(await api.POST('/api/v1/images/{id}/publish', { params: { path: { id } } }));
      } else {
        ok(await api.POST('/api/v1/images/{id}/unpublish', { params: { path: { id } } }));
      }
    },
    onSuccess: () => {
      setProblem(undefined);
      setRemoving(undefined);
      refresh();
    },
    onError: (err) => setProblem(problemOf(err)),
  });
  if (query.isLoading) {
    return <Loading label="Loading the images" />;
  }
  if (query.isError) {
    return <ProblemAlert problem={problemOf(query.error)} title="The images could not be loaded" />;
  }
  if (query.data === undefined) {
    return null;
  }
  return (
    <div className="hm-projects-stack">
      <Title headingLevel="h2" className="hm-title">
        Container Information
      </Title>
      <ProblemAlert problem={problem} title="The action was refused" />
      {blocked !== undefined &&
      !checklist.isLoading &&
      query.data.items.some((i) => !i.published && i.status === 'passed') ? (
        <Alert
          isInline
          variant="info"
          title="Images can be published once the project is certified"
        >
          {blocked} See the <Link to={`/projects/${project.id}/checklist`}>Checklist</Link> tab.
        </Alert>
      ) : null}
      {query.data.items.length === 0 && pages.hasPrevious ? (
        <p>No more images on this page: they were removed since the previous page.</p>
      ) : query.data.items.length === 0 ? (
        <EmptyState titleText="No images yet" headingLevel="h3">
          <EmptyStateBody>
            Push an image to the project&apos;s registry (see the{' '}
            <Link to={`/projects/${project.id}/registry`}>Registry</Link> tab); it is scanned at
            once.
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Container Information" gridBreakPoint="grid-md" variant="compact">
          <Thead>
            <Tr>
              <Th>Repository</Th>
              <Th>Tag</Th>
              <Th>Status</Th>
              <Th>Grade</Th>
              <Th>Published</Th>
              <Th>Actions</Th>
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((image) => (
              <Tr key={image.id}>
                <Td dataLabel="Repository" className="hm-projects-mono" modifier="breakWord">
                  {repositoryName(image.repository, project.namespace)}
                </Td>
                <Td dataLabel="Tag" className="hm-projects-mono">
                  {image.tag}
                </Td>
                <Td dataLabel="Status">{image.statusLabel}</Td>
                <Td dataLabel="Grade">
                  <GradeBadge grade={image.grade} />
                </Td>
                <Td dataLabel="Published">
                  {image.published ? `Yes, ${formatDate(image.publishedAt)}` : 'No'}
                </Td>
                <Td dataLabel="Actions">
                  <Link to={`/images/${image.id}`}>View</Link>{' '}
                  {image.published ? (
                    <Button
                      variant="secondary"
                      size="sm"
                      isDisabled={!image.actions.includes('unpublish')}
                      onClick={() => act.mutate({ id: image.id, action: 'unpublish' })}
                    >
                      Unpublish
                    </Button>
                  ) : (
                    <PublishButton
                      why={
                        image.status !== 'passed'
                          ? 'Only an image that passed its scan can be published.'
                          : blocked
                      }
                      onPublish={() => act.mutate({ id: image.id, action: 'publish' })}
                    />
                  )}{' '}
                  <Button
                    variant="secondary"
                    isDanger
                    size="sm"
                    onClick={() => setRemoving({ id: image.id, tag: image.tag })}
                  >
                    Remove
                  </Button>
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      {pages.hasPrevious || query.data.nextCursor !== null ? (
        <CursorPager pages={pages} nextCursor={query.data.nextCursor} label="Pages of images" />
      ) : null}
      {removing === undefined ? null : (
        // Mounted only while open: a closed PatternFly Modal still adds its container to the page
        // and renders twice as the tab first mounts.
        <Modal
          variant="small"
          isOpen
          onClose={() => setRemoving(undefined)}
          aria-labelledby="remove-title"
        >
          <ModalHeader title="Remove this image?" labelId="remove-title" />
          <ModalBody>
            The image tagged “{removing.tag}” is removed from the project and the catalog.
          </ModalBody>
          <ModalFooter>
            <Button
              variant="danger"
              isLoading={act.isPending}
              onClick={() => act.mutate({ id: removing.id, action: 'remove' })}
            >
              Remove
            </Button>
            <Button variant="link" onClick={() => setRemoving(undefined)}>
              Cancel
            </Button>
          </ModalFooter>
        </Modal>
      )}
    </div>
  );
}

/** Publish, disabled with the reason as its tooltip while `why` says it cannot happen yet. */
function PublishButton({ why, onPublish }: { why: string | undefined; onPublish: () => void }) {
  if (why === undefined) {
    return (
      <Button variant="primary" size="sm" onClick={onPublish}>
        Publish
      </Button>
    );
  }
  return (
    <LazyTooltip content={why}>
      {(reasonId) => (
        <Button variant="primary" size="sm" isAriaDisabled aria-describedby={reasonId}>
          Publish
        </Button>
      )}
    </LazyTooltip>
  );
}

/** Where the partner's declaration stands. */
function treeState(project: ProjectData): string {
  if (project.tree === null) {
    return 'Not declared yet: an org admin of the company declares how the image is distributed.';
  }
  const where = project.tree === 'in' ? 'In-tree' : 'Out-of-tree';
  return project.treeConfirmedAt === null
    ? `${where}, declared by the partner: Hallmark staff have not confirmed it yet.`
    : `${where}, confirmed by Hallmark staff on ${formatDate(project.treeConfirmedAt)}.`;
}

type SettingsField = 'name' | 'salesContact';

function Settings({ project, user }: { project: ProjectData; user: User }) {
  const client = useQueryClient();
  const [name, setName] = useState(project.name);
  const [contactName, setContactName] = useState(project.salesContact?.name ?? '');
  const [contactEmail, setContactEmail] = useState(project.salesContact?.email ?? '');
  const [contactPhone, setContactPhone] = useState(project.salesContact?.phone ?? '');
  const [errors, setErrors] = useState<FormErrors<SettingsField>>(NO_ERRORS);
  const refresh = () => void client.invalidateQueries({ queryKey: ['project', project.id] });
  const save = useMutation({
    mutationFn: async () =>
      ok(
        await api.PATCH('/api/v1/projects/{id}', {
          params: { path: { id: project.id } },
          body: {
            name: name.trim(),
            salesContact:
              contactName.trim() === '' && contactEmail.trim() === '' && contactPhone.trim() === ''
                ? null
                : {
                    name: contactName.trim(),
                    email: contactEmail.trim(),
                    phone: contactPhone.trim(),
                  },
          },
        }),
      ),
    onSuccess: () => {
      setErrors(NO_ERRORS);
      refresh();
    },
    onError: (err) => setErrors(formErrors(problemOf(err), ['name', 'salesContact'])),
  });
  const tree = useMutation({
    mutationFn: async (value: 'in' | 'out') =>
      ok(
        await api.PUT('/api/v1/projects/{id}/tree', {
          params: { path: { id: project.id } },
          body: { tree: value },
        }),
      ),
    onSuccess: refresh,
  });
  const confirmTree = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects/{id}/tree/confirm', {
          params: { path: { id: project.id } },
        }),
      ),
    onSuccess: refresh,
  });
  const approval = useMutation({
    mutationFn: async (approve: boolean) =>
      approve
        ? done(
            await api.POST('/api/v1/projects/{id}/distribution-approval', {
              params: { path: { id: project.id } },
            }),
          )
        : done(
            await api.DELETE('/api/v1/projects/{id}/distribution-approval', {
              params: { path: { id: project.id } },
            }),
          ),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  // Org admins declare; staff confirm (the API refuses anyone else).
  const declares = user.orgAdmin && !user.staff;
  return (
    <div className="hm-projects-stack">
      <Form onSubmit={submit} noValidate aria-label="Project settings" className="hm-narrow">
        <TextField
          id="name"
          label="Project name"
          value={name}
          onChange={setName}
          error={errors.fields.name}
        />
        <Title headingLevel="h2" className="hm-title">
          Sales contact
        </Title>
        <TextField
          id="contactName"
          label="Contact name"
          value={contactName}
          onChange={setContactName}
          required={false}
        />
        <TextField
          id="contactEmail"
          label="Contact email"
          type="email"
          value={contactEmail}
          onChange={setContactEmail}
          required={false}
        />
        <TextField
          id="contactPhone"
          label="Contact phone"
          value={contactPhone}
          onChange={setContactPhone}
          required={false}
        />
        <ProblemAlert
          problem={
            errors.fields.salesContact === undefined
              ? errors.form
              : {
                  type: 'about:blank',
                  title: 'Sales contact',
                  status: 400,
                  code: 'ui.field',
                  detail: errors.fields.salesContact,
                }
          }
        />
        {save.isSuccess ? <Alert isInline variant="success" title="Saved" /> : null}
        <ActionGroup>
          <SubmitButton pending={save.isPending}>Save</SubmitButton>
        </ActionGroup>
      </Form>
      <Title headingLevel="h2" className="hm-title">
        In-tree or out-of-tree
      </Title>
      <FormGroup role="radiogroup" fieldId="tree" label="The image is distributed" isInline>
        <Radio
          id="tree-in"
          name="tree"
          label="In-tree (shipped with the platform)"
          isChecked={project.tree === 'in'}
          isDisabled={!declares}
          onChange={() => tree.mutate('in')}
        />
        <Radio
          id="tree-out"
          name="tree"
          label="Out-of-tree (shipped by you)"
          isChecked={project.tree === 'out'}
          isDisabled={!declares}
          onChange={() => tree.mutate('out')}
        />
      </FormGroup>
      <ProblemAlert problem={tree.isError ? problemOf(tree.error) : undefined} />
      <p data-testid="tree-state">{treeState(project)}</p>
      {user.staff && project.tree !== null && project.treeConfirmedAt === null ? (
        <Button
          variant="primary"
          isLoading={confirmTree.isPending}
          isDisabled={confirmTree.isPending}
          onClick={() => confirmTree.mutate()}
        >
          {project.tree === 'in' ? 'Confirm in-tree' : 'Confirm out-of-tree'}
        </Button>
      ) : null}
      <ProblemAlert problem={confirmTree.isError ? problemOf(confirmTree.error) : undefined} />
      <Title headingLevel="h2" className="hm-title">
        Distribution approval
      </Title>
      <p>
        {project.distributionApprovedAt === null
          ? 'Not approved yet: Hallmark staff approve the distribution.'
          : `Approved on ${formatDate(project.distributionApprovedAt)}.`}
      </p>
      {user.staff ? (
        project.distributionApprovedAt === null ? (
          <Button
            variant="primary"
            isLoading={approval.isPending}
            onClick={() => approval.mutate(true)}
          >
            Approve the distribution
          </Button>
        ) : (
          <Button
            variant="secondary"
            isDanger
            isLoading={approval.isPending}
            onClick={() => approval.mutate(false)}
          >
            Revoke the approval
          </Button>
        )
      ) : null}
      <ProblemAlert problem={approval.isError ? problemOf(approval.error) : undefined} />
    </div>
  );
}
