/**
 * The project's "Build Service" tab (the guide's "Configure Automated Build Service"): "Start new
 * build" at the top, the settings (a form for the company's org admins, read-only for its other
 * users and for staff), the deploy key and ssh host key, and the build history.
 */
import {
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Grid,
  GridItem,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ok, problemOf, type User } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { LazyTooltip } from '../../components/LazyTooltip';
import { BuildHistory } from './BuildHistory';
import { BuildKeys } from './BuildKeys';
import type { BuildSettings } from './builds';
import { BuildSettingsForm } from './BuildSettingsForm';
import { StartBuildDialog } from './StartBuildDialog';
import './builds.css';

/** What the tab needs of the project. */
export interface BuildServiceProject {
  readonly id: string;
  readonly companyId: string;
  readonly namespace: string;
}

/** The tab (the default export is what ProjectPage loads lazily). */
export default function BuildServiceTab({
  project,
  user,
}: {
  project: BuildServiceProject;
  user: User;
}) {
  const [starting, setStarting] = useState(false);
  const settings = useQuery({
    queryKey: ['project', project.id, 'build-settings'],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/projects/{id}/build-settings', {
          params: { path: { id: project.id } },
        }),
      ),
  });
  if (settings.isLoading) {
    return <Loading label="Loading the Build Service settings" />;
  }
  if (settings.isError) {
    return (
      <ProblemAlert
        problem={problemOf(settings.error)}
        title="The Build Service settings could not be loaded"
      />
    );
  }
  if (settings.data === undefined) {
    return null;
  }
  const s = settings.data;
  // The API's rules: the company's org admins configure; its users start builds; staff read.
  const member = user.companyId === project.companyId;
  const canEdit = member && user.orgAdmin;
  return (
    <div className="hm-projects-stack hm-build-tab">
      <p>
        Hallmark builds your image from the Dockerfile in your git repository, pushes it to this
        project and scans it; with Auto Rebuild it rebuilds the image by itself whenever its base
        image or packages get security updates, and publishes each rebuilt image that passes.
      </p>
      {member ? (
        <div className="hm-build-actions">
          <StartButton configured={s.gitUrl !== null} onStart={() => setStarting(true)} />
        </div>
      ) : null}
      {starting ? (
        <StartBuildDialog
          projectId={project.id}
          configuredRef={s.ref}
          onClose={() => setStarting(false)}
        />
      ) : null}
      <Grid hasGutter>
        <GridItem lg={7}>
          <section aria-labelledby="build-config-title" className="hm-projects-stack">
            <Title headingLevel="h2" id="build-config-title">
              Configure Build Service
            </Title>
            {canEdit ? (
              <BuildSettingsForm
                projectId={project.id}
                namespace={project.namespace}
                settings={s}
              />
            ) : (
              <ReadOnlySettings settings={s} staff={!member} />
            )}
          </section>
        </GridItem>
        <GridItem lg={5}>
          <BuildKeys projectId={project.id} settings={s} canEdit={canEdit} />
        </GridItem>
      </Grid>
      <section aria-labelledby="build-history-title" className="hm-projects-stack">
        <Title headingLevel="h2" id="build-history-title">
          Build history
        </Title>
        <BuildHistory projectId={project.id} />
      </section>
    </div>
  );
}

/** "Start new build", disabled with the reason until a git source is saved. */
function StartButton({ configured, onStart }: { configured: boolean; onStart: () => void }) {
  if (configured) {
    return (
      <Button variant="primary" onClick={onStart}>
        Start new build
      </Button>
    );
  }
  return (
    <LazyTooltip content="Save the git source URL below first.">
      {(reasonId) => (
        <Button variant="primary" isAriaDisabled aria-describedby={reasonId}>
          Start new build
        </Button>
      )}
    </LazyTooltip>
  );
}

/** One setting and its value (`mono` for what is typed as is: URLs, paths, names). */
function Setting({ term, children, mono }: { term: string; children: ReactNode; mono?: boolean }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription className={mono === true ? 'hm-projects-mono' : ''}>
        {children}
      </DescriptionListDescription>
    </DescriptionListGroup>
  );
}

/** The settings for those who may not change them. */
function ReadOnlySettings({ settings: s, staff }: { settings: BuildSettings; staff: boolean }) {
  const args = Object.entries(s.buildArgs);
  return (
    <>
      <p>
        {staff
          ? "Staff read these settings; the company's org admins change them."
          : "Only your company's org admins change these settings."}
      </p>
      <DescriptionList isHorizontal isCompact aria-label="Build Service settings">
        <Setting term="Git source URL" mono>
          {s.gitUrl ?? 'not set yet'}
        </Setting>
        <Setting term="Branch or ref" mono>
          {s.ref ?? 'the default branch'}
        </Setting>
        <Setting term="Dockerfile" mono>
          {s.dockerfile}
        </Setting>
        <Setting term="Context directory" mono>
          {s.contextDir}
        </Setting>
        <Setting term="Repository" mono>
          {s.repositoryReference ?? '—'}
        </Setting>
        <Setting term="Build arguments" mono={args.length > 0}>
          {args.length === 0 ? 'none' : args.map(([k, v]) => `${k}=${v}`).join(', ')}
        </Setting>
        <Setting term="Auto Rebuild">{s.autoRebuild ? 'On' : 'Off'}</Setting>
        <Setting term="Auto Publish">{s.autoPublish ? 'On' : 'Off'}</Setting>
        <Setting term="HTTPS credentials">
          {s.credentials === null ? 'none' : `a token is stored for user “${s.credentials.user}”`}
        </Setting>
      </DescriptionList>
    </>
  );
}
