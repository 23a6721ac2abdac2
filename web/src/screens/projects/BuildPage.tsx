/**
 * One build (`/builds/:id`): its state, live while it runs (polled every 2 s), each phase's
 * duration, the commit, ref, tag, base image and its digest, the image it made, why it failed,
 * and its log streaming as it is written. Members of the project's company cancel a running build.
 */
import {
  Alert,
  Breadcrumb,
  BreadcrumbItem,
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { TextLabel } from '../../components/TextLabel';
import { BuildLogView } from './BuildLogView';
import { BuildPhases } from './BuildPhases';
import { formatTime, isFinal, STATUS_LABELS, TRIGGER_LABELS, type Build } from './builds';
import './builds.css';
import './projects.css';

/** The build screen. */
export default function BuildPage() {
  return <RequireSession>{(user) => <BuildDetails user={user} />}</RequireSession>;
}

function BuildDetails({ user }: { user: User }) {
  const { id = '' } = useParams();
  const build = useQuery({
    queryKey: ['build', id],
    queryFn: async () => ok(await api.GET('/api/v1/builds/{id}', { params: { path: { id } } })),
    retry: false,
    // Live until it ends.
    refetchInterval: (q) =>
      q.state.data === undefined || isFinal(q.state.data.status) ? false : 2000,
  });
  const projectId = build.data?.projectId ?? '';
  const project = useQuery({
    queryKey: ['project', projectId],
    enabled: projectId !== '',
    queryFn: async () =>
      ok(await api.GET('/api/v1/projects/{id}', { params: { path: { id: projectId } } })),
  });
  if (build.isLoading) {
    return <Loading label="Loading the build" />;
  }
  // A failed or paused (offline) refresh keeps the build shown, with a note; only a failed first
  // read replaces it.
  if (build.isError && build.data === undefined) {
    const problem = problemOf(build.error);
    if (problem.status === 404 || problem.status === 403) {
      return (
        <NotFound title="Build not found" detail="There is no such build, or it is not yours." />
      );
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The build could not be loaded" />
      </PageSection>
    );
  }
  if (build.data === undefined) {
    return null;
  }
  const b = build.data;
  const status = STATUS_LABELS[b.status];
  const ownCompany = project.data !== undefined && project.data.companyId === user.companyId;
  return (
    <>
      <PageSection>
        <Breadcrumb className="hm-title">
          <BreadcrumbItem>
            <Link to="/projects">Projects</Link>
          </BreadcrumbItem>
          <BreadcrumbItem>
            <Link to={`/projects/${b.projectId}/build-service`}>
              {project.data?.name ?? 'Project'}: Build Service
            </Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>Build {b.tag}</BreadcrumbItem>
        </Breadcrumb>
        <Flex alignItems={{ default: 'alignItemsCenter' }} gap={{ default: 'gapMd' }}>
          <Title headingLevel="h1" size="2xl">
            Build of {b.repository}:{b.tag}
          </Title>
          <span role="status" data-testid="build-status">
            <TextLabel color={status.color}>{status.text}</TextLabel>
          </span>
          {ownCompany && !isFinal(b.status) ? <CancelBuild build={b} /> : null}
        </Flex>
      </PageSection>
      <PageSection>
        <div className="hm-projects-stack">
          {build.isError || build.fetchStatus === 'paused' ? (
            <Alert
              isInline
              variant="warning"
              title="The state of the build could not be refreshed: retrying"
            />
          ) : null}
          <BuildPhases build={b} />
          {b.error === null ? null : (
            <Alert
              isInline
              variant={b.status === 'cancelled' ? 'info' : 'danger'}
              title={b.error.message}
            >
              <p className="hm-problem-code">{b.error.code}</p>
            </Alert>
          )}
          {b.status === 'passed' && b.imageId !== null ? (
            <Alert isInline variant="success" title="The image passed its scan">
              See its <Link to={`/images/${b.imageId}`}>scan details</Link>.{' '}
              {project.data?.autoPublish === true
                ? 'Auto Publish publishes it to the catalog once the project is certified; see'
                : 'Publish it from'}{' '}
              the project&apos;s <Link to={`/projects/${b.projectId}/images`}>Images</Link> tab.
            </Alert>
          ) : null}
          <Facts build={b} />
          <Title headingLevel="h2" className="hm-title">
            Log
          </Title>
          <BuildLogView key={b.id} buildId={b.id} />
        </div>
      </PageSection>
    </>
  );
}

/** One term and its value. */
function Fact({ term, children, mono }: { term: string; children: ReactNode; mono?: boolean }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription className={mono === true ? 'hm-digest' : ''}>
        {children}
      </DescriptionListDescription>
    </DescriptionListGroup>
  );
}

/** What was built, from what, into what. */
function Facts({ build: b }: { build: Build }) {
  return (
    <DescriptionList isHorizontal isCompact aria-label="Build details">
      <Fact term="Trigger">
        {TRIGGER_LABELS[b.trigger]}
        {b.requestedBy === null ? '' : ` (${b.requestedBy})`}
      </Fact>
      <Fact term="Tag" mono>
        {b.tag}
      </Fact>
      <Fact term="Git ref" mono>
        {b.ref ?? 'the default branch'}
      </Fact>
      <Fact term="Commit" mono>
        {b.commit ?? 'not cloned yet'}
      </Fact>
      <Fact term="Dockerfile" mono>
        {b.dockerfile}
      </Fact>
      <Fact term="Base image" mono>
        {b.baseImage ?? '—'}
      </Fact>
      <Fact term="Base image digest" mono>
        {b.baseDigest ?? '—'}
      </Fact>
      <Fact term="Repository" mono>
        {b.repository}
      </Fact>
      <Fact term="Image">
        {b.imageId === null ? (
          'not pushed yet'
        ) : (
          <Link to={`/images/${b.imageId}`}>
            <span className="hm-digest">{b.digest ?? b.tag}</span>
          </Link>
        )}
      </Fact>
      <Fact term="Queued">{formatTime(b.createdAt)}</Fact>
      <Fact term="Started">{formatTime(b.startedAt)}</Fact>
      <Fact term="Finished">{formatTime(b.finishedAt)}</Fact>
      {b.logTruncated ? (
        <Fact term="Log">cut at its size limit ({Math.round(b.logBytes / 1024)} kB)</Fact>
      ) : null}
    </DescriptionList>
  );
}

/** "Cancel the build", behind a confirmation. */
function CancelBuild({ build }: { build: Build }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/builds/{id}/cancel', { params: { path: { id: build.id } } })),
    onSuccess: (updated) => {
      client.setQueryData(['build', build.id], updated);
      void client.invalidateQueries({ queryKey: ['project', build.projectId, 'builds'] });
      setConfirming(false);
    },
  });
  return (
    <>
      <Button variant="secondary" isDanger onClick={() => setConfirming(true)}>
        Cancel the build
      </Button>
      <Modal
        variant="small"
        isOpen={confirming}
        onClose={() => setConfirming(false)}
        aria-labelledby="cancel-build-title"
      >
        <ModalHeader title="Cancel this build?" labelId="cancel-build-title" />
        <ModalBody>
          The build of tag “{build.tag}” stops now: git and buildah are stopped and nothing more is
          pushed. An image already pushed stays in the project.
          <ProblemAlert problem={cancel.isError ? problemOf(cancel.error) : undefined} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant="danger"
            isLoading={cancel.isPending}
            isDisabled={cancel.isPending}
            onClick={() => cancel.mutate()}
          >
            Cancel the build
          </Button>
          <Button variant="link" onClick={() => setConfirming(false)}>
            Keep it running
          </Button>
        </ModalFooter>
      </Modal>
    </>
  );
}
