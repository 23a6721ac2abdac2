/**
 * The company's certification projects (name, zone, status, images, what needs attention) and
 * "Create a New Project": only zones the company is approved in, that zone's release categories.
 * After creation the project's registry tab shows its registry key once.
 */
import {
  ActionGroup,
  Button,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Modal,
  ModalBody,
  ModalHeader,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { rememberKey } from './projectKey';
import './projects.css';

/** The projects screen. */
export default function ProjectsPage() {
  return <RequireSession>{(user) => <Projects user={user} />}</RequireSession>;
}

/**
 * The company's projects (staff: every company's), each with its checklist state and image
 * count: one request, however many projects there are.
 */
async function listProjects(companyId: string | null) {
  return ok(
    await api.GET('/api/v1/projects', {
      params: { query: { pageSize: 100, ...(companyId === null ? {} : { companyId }) } },
    }),
  );
}

function Projects({ user }: { user: User }) {
  const [creating, setCreating] = useState(false);
  const query = useQuery({
    queryKey: ['projects', user.companyId],
    queryFn: () => listProjects(user.companyId),
  });
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Certification projects
        </Title>
        <p>Each project certifies one container image repository for a product in a zone.</p>
        {user.companyId === null ? null : (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create a New Project
          </Button>
        )}
      </PageSection>
      <PageSection aria-label="Projects" aria-busy={query.isFetching}>
        {query.isLoading ? (
          <Loading label="Loading the projects" />
        ) : query.isError ? (
          <ProblemAlert problem={problemOf(query.error)} title="The projects could not be loaded" />
        ) : query.data === undefined ? null : query.data.items.length === 0 ? (
          <EmptyState titleText="No projects yet" headingLevel="h2">
            <EmptyStateBody>
              Create a project to get a registry to push your image to.
            </EmptyStateBody>
          </EmptyState>
        ) : (
          <Table aria-label="Certification projects" gridBreakPoint="grid-md" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Zone</Th>
                <Th>Status</Th>
                <Th>Images</Th>
                <Th>Needs attention</Th>
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((p) => (
                <ProjectRow key={p.id} project={p} />
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      {creating && user.companyId !== null ? (
        <CreateProject companyId={user.companyId} onClose={() => setCreating(false)} />
      ) : null}
    </>
  );
}

/** A project of the list, with the summary the list answer carries. */
type ListedProject = Awaited<ReturnType<typeof listProjects>>['items'][number];

/** One project with its checklist state and image count, all from the list answer. */
function ProjectRow({ project }: { project: ListedProject }) {
  const { summary } = project;
  return (
    <Tr>
      <Td dataLabel="Name">
        <Link to={`/projects/${project.id}`}>{project.name}</Link>
      </Td>
      <Td dataLabel="Zone">{project.zone?.name ?? '—'}</Td>
      <Td dataLabel="Status">{summary.certified ? 'Certified' : 'In progress'}</Td>
      <Td dataLabel="Images">{summary.images}</Td>
      <Td dataLabel="Needs attention">
        {summary.todo.length === 0 ? 'Nothing' : summary.todo.map((i) => i.title).join(', ')}
      </Td>
    </Tr>
  );
}

type Field =
  | 'name'
  | 'zoneId'
  | 'productId'
  | 'productVersionId'
  | 'releaseCategory'
  | 'targetPlatform'
  | 'targetPlatformVersion';
const FIELDS: readonly Field[] = [
  'name',
  'zoneId',
  'productId',
  'productVersionId',
  'releaseCategory',
  'targetPlatform',
  'targetPlatformVersion',
];

/** The "Create a New Project" modal. */
function CreateProject({ companyId, onClose }: { companyId: string; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [zoneId, setZoneId] = useState('');
  const [productId, setProductId] = useState('');
  const [versionId, setVersionId] = useState('');
  const [category, setCategory] = useState('');
  const [platform, setPlatform] = useState('');
  const [platformVersion, setPlatformVersion] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const zones = useQuery({
    queryKey: ['company', companyId, 'zones'],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies/{id}/zones', {
          params: { path: { id: companyId }, query: { pageSize: 100 } },
        }),
      ),
  });
  const zone = useQuery({
    queryKey: ['zone', zoneId],
    enabled: zoneId !== '',
    queryFn: async () =>
      ok(await api.GET('/api/v1/zones/{id}', { params: { path: { id: zoneId } } })),
  });
  const products = useQuery({
    queryKey: ['products', companyId],
    queryFn: async () =>
      ok(await api.GET('/api/v1/products', { params: { query: { companyId, pageSize: 100 } } })),
  });
  const approved = (zones.data?.items ?? []).filter((z) => z.access?.status === 'approved');
  const product = products.data?.items.find((p) => p.id === productId);
  const mutation = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects', {
          body: {
            name: name.trim(),
            zoneId,
            productId,
            productVersionId: versionId,
            releaseCategory: category,
            targetPlatform: platform.trim(),
            targetPlatformVersion: platformVersion.trim(),
          },
        }),
      ),
    onSuccess: (project) => {
      rememberKey(project.id, project.registryKey);
      void client.invalidateQueries({ queryKey: ['projects'] });
      void navigate(`/projects/${project.id}/registry`);
    },
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    mutation.mutate();
  };
  return (
    <Modal variant="medium" isOpen onClose={onClose} aria-labelledby="create-project-title">
      <ModalHeader title="Create a New Project" labelId="create-project-title" />
      <ModalBody>
        {zones.isLoading || products.isLoading ? (
          <Loading label="Loading your zones and products" />
        ) : approved.length === 0 ? (
          <p>
            Your company is not approved in any zone yet. <Link to="/zones">Apply to a zone</Link>{' '}
            first.
          </p>
        ) : (
          <Form onSubmit={submit} noValidate aria-label="Create a New Project">
            <TextField
              id="name"
              label="Project name"
              value={name}
              onChange={setName}
              error={errors.fields.name}
            />
            <FormGroup label="Zone" fieldId="zoneId" isRequired>
              <FormSelect
                id="zoneId"
                value={zoneId}
                onChange={(_e, v) => {
                  setZoneId(v);
                  setCategory('');
                }}
              >
                <FormSelectOption value="" label="Choose a zone" isPlaceholder />
                {approved.map((z) => (
                  <FormSelectOption key={z.id} value={z.id} label={z.name} />
                ))}
              </FormSelect>
              {errors.fields.zoneId === undefined ? null : (
                <p className="pf-m-error">{errors.fields.zoneId}</p>
              )}
            </FormGroup>
            <FormGroup label="Release category" fieldId="releaseCategory" isRequired>
              <FormSelect
                id="releaseCategory"
                value={category}
                isDisabled={zone.data === undefined}
                onChange={(_e, v) => setCategory(v)}
              >
                <FormSelectOption value="" label="Choose a release category" isPlaceholder />
                {(zone.data?.releaseCategories ?? []).map((c) => (
                  <FormSelectOption key={c} value={c} label={c} />
                ))}
              </FormSelect>
            </FormGroup>
            <FormGroup label="Product" fieldId="productId" isRequired>
              <FormSelect
                id="productId"
                value={productId}
                onChange={(_e, v) => {
                  setProductId(v);
                  setVersionId('');
                }}
              >
                <FormSelectOption value="" label="Choose a product" isPlaceholder />
                {(products.data?.items ?? []).map((p) => (
                  <FormSelectOption key={p.id} value={p.id} label={p.name} />
                ))}
              </FormSelect>
            </FormGroup>
            <FormGroup label="Product version" fieldId="productVersionId" isRequired>
              <FormSelect
                id="productVersionId"
                value={versionId}
                isDisabled={product === undefined}
                onChange={(_e, v) => setVersionId(v)}
              >
                <FormSelectOption value="" label="Choose a version" isPlaceholder />
                {(product?.versions ?? []).map((v) => (
                  <FormSelectOption key={v.id} value={v.id} label={v.version} />
                ))}
              </FormSelect>
            </FormGroup>
            <TextField
              id="targetPlatform"
              label="Target platform"
              value={platform}
              onChange={setPlatform}
              error={errors.fields.targetPlatform}
            />
            <TextField
              id="targetPlatformVersion"
              label="Target platform version"
              value={platformVersion}
              onChange={setPlatformVersion}
              error={errors.fields.targetPlatformVersion}
            />
            <ProblemAlert problem={errors.form} />
            <ActionGroup>
              <SubmitButton pending={mutation.isPending}>Create the project</SubmitButton>
              <Button variant="link" onClick={onClose}>
                Cancel
              </Button>
            </ActionGroup>
          </Form>
        )}
      </ModalBody>
    </Modal>
  );
}
