/**
 * The keys of the Build Service: the project's deploy key (the public half, to add to the git
 * host as a read-only deploy key; org admins rotate it) and the git server's ssh host key,
 * recorded on the first clone. When the server later presents a different host key, builds stop
 * and both keys are shown until an org admin accepts the new one.
 */
import {
  Alert,
  Button,
  ClipboardCopy,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ok, problemOf } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { BuildSettings } from './builds';

/** The deploy key and host key sections; `canEdit` for the company's org admins. */
export function BuildKeys({
  projectId,
  settings,
  canEdit,
}: {
  projectId: string;
  settings: BuildSettings;
  canEdit: boolean;
}) {
  return (
    <div className="hm-projects-stack">
      <DeployKey projectId={projectId} deployKey={settings.deployKey} canEdit={canEdit} />
      <HostKey projectId={projectId} settings={settings} canEdit={canEdit} />
    </div>
  );
}

/** The settings' query, updated with what a key action answered. */
function useSettingsUpdate(projectId: string) {
  const client = useQueryClient();
  return (saved: BuildSettings) =>
    client.setQueryData(['project', projectId, 'build-settings'], saved);
}

function DeployKey({
  projectId,
  deployKey,
  canEdit,
}: {
  projectId: string;
  deployKey: string;
  canEdit: boolean;
}) {
  const update = useSettingsUpdate(projectId);
  const [confirming, setConfirming] = useState(false);
  const [rotated, setRotated] = useState(false);
  const rotate = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects/{id}/build-settings/deploy-key/rotate', {
          params: { path: { id: projectId } },
        }),
      ),
    onSuccess: (saved) => {
      update(saved);
      setRotated(true);
      setConfirming(false);
    },
  });
  return (
    <section aria-labelledby="deploy-key-title" className="hm-projects-stack">
      <Title headingLevel="h3" id="deploy-key-title">
        Deploy key
      </Title>
      <p>
        For a git source over ssh (<code>ssh://…</code> or <code>git@host:path</code>), add this
        public key as a <strong>read-only deploy key</strong> on your git host (GitHub: the
        repository&apos;s Settings → Deploy keys; GitLab: Settings → Repository → Deploy keys).
        Hallmark clones with it and never pushes.
      </p>
      <ClipboardCopy
        isReadOnly
        isCode
        hoverTip="Copy the deploy key"
        clickTip="Copied"
        textAriaLabel="Deploy key"
      >
        {deployKey}
      </ClipboardCopy>
      {rotated ? (
        <Alert isInline variant="success" title="The deploy key was replaced">
          Add the new key to the git host before the next build, and remove the old one.
        </Alert>
      ) : null}
      {canEdit ? (
        <Button variant="secondary" isDanger onClick={() => setConfirming(true)}>
          Rotate the deploy key
        </Button>
      ) : null}
      <Confirm
        open={confirming}
        title="Rotate the deploy key?"
        action="Rotate"
        pending={rotate.isPending}
        problem={rotate.isError ? problemOf(rotate.error) : undefined}
        onConfirm={() => rotate.mutate()}
        onClose={() => setConfirming(false)}
      >
        Builds use a new key at once: they fail to clone over ssh until you add the new public key
        to the git host. Remove the old key from the git host afterwards.
      </Confirm>
    </section>
  );
}

function HostKey({
  projectId,
  settings,
  canEdit,
}: {
  projectId: string;
  settings: BuildSettings;
  canEdit: boolean;
}) {
  const update = useSettingsUpdate(projectId);
  const [confirming, setConfirming] = useState(false);
  const accept = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects/{id}/build-settings/host-key/accept', {
          params: { path: { id: projectId } },
        }),
      ),
    onSuccess: (saved) => {
      update(saved);
      setConfirming(false);
    },
  });
  return (
    <section aria-labelledby="host-key-title" className="hm-projects-stack">
      <Title headingLevel="h3" id="host-key-title">
        SSH host key
      </Title>
      {settings.hostKeyPending === null ? (
        settings.hostKey === null ? (
          <p>
            None recorded yet: the first clone over ssh records the git server&apos;s host key, and
            later builds refuse a server that presents another one.
          </p>
        ) : (
          <>
            <p>Recorded on the first clone; builds refuse a server presenting another key.</p>
            <p className="hm-build-key" data-testid="host-key">
              {settings.hostKey}
            </p>
          </>
        )
      ) : (
        <Alert
          isInline
          variant="warning"
          title="The git server presented a different host key: builds are stopped"
        >
          <p>
            Accept the new key only when you know the server&apos;s key changed (ask the git
            host&apos;s administrators); otherwise someone may be impersonating the server.
          </p>
          <p>Recorded key:</p>
          <p className="hm-build-key">{settings.hostKey ?? '—'}</p>
          <p>Key the server presented:</p>
          <p className="hm-build-key">{settings.hostKeyPending}</p>
          {canEdit ? (
            <Button variant="primary" onClick={() => setConfirming(true)}>
              Accept the new host key
            </Button>
          ) : (
            <p>An org admin of your company can accept it.</p>
          )}
        </Alert>
      )}
      <Confirm
        open={confirming}
        title="Accept the new host key?"
        action="Accept the new host key"
        pending={accept.isPending}
        problem={accept.isError ? problemOf(accept.error) : undefined}
        onConfirm={() => accept.mutate()}
        onClose={() => setConfirming(false)}
      >
        Builds trust the key the server presented from now on, and run again.
      </Confirm>
    </section>
  );
}

/** A small confirmation dialog. */
function Confirm({
  open,
  title,
  action,
  pending,
  problem,
  onConfirm,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  action: string;
  pending: boolean;
  problem: ReturnType<typeof problemOf> | undefined;
  onConfirm: () => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const id = `confirm-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <Modal variant="small" isOpen={open} onClose={onClose} aria-labelledby={id}>
      <ModalHeader title={title} labelId={id} />
      <ModalBody>
        {children}
        <ProblemAlert problem={problem} />
      </ModalBody>
      <ModalFooter>
        <Button variant="danger" isLoading={pending} isDisabled={pending} onClick={onConfirm}>
          {action}
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
