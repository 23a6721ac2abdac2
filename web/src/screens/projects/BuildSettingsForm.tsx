/**
 * "Configure Build Service" for the company's org admins: the git source, branch or ref,
 * Dockerfile, context directory, repository, build arguments, auto rebuild and auto publish (on,
 * and not to be turned off, while auto rebuild is on: the guide's rule) and optional HTTPS
 * credentials, whose token is write-only (replaced or removed, never shown). The server's
 * refusals are shown beside their fields.
 */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok, problemOf, type Problem } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { BuildSettings, BuildSettingsBody } from './builds';
import {
  AutoSwitches,
  BuildArgs,
  Credentials,
  type Arg,
  type CredentialsChange,
} from './BuildSettingsParts';

type Field =
  'gitUrl' | 'ref' | 'dockerfile' | 'contextDir' | 'repository' | 'buildArgs' | 'credentials';
const FIELDS: readonly Field[] = [
  'gitUrl',
  'ref',
  'dockerfile',
  'contextDir',
  'repository',
  'buildArgs',
  'credentials',
];

/** The field a Build Service refusal concerns, from its code (and the field it names). */
function fieldOf(problem: Problem): Field | undefined {
  if (problem.code.startsWith('build.git_url.')) {
    return 'gitUrl';
  }
  switch (problem.code) {
    case 'build.path_invalid':
      return problem.field === 'contextDir' ? 'contextDir' : 'dockerfile';
    case 'build.arg_invalid':
      return 'buildArgs';
    case 'build.repository_invalid':
      return 'repository';
    default:
      return undefined;
  }
}

/** The git URL field's hint: the forms every server takes, and those this one's operator allows. */
function gitUrlHint(kinds: BuildSettings['allowedUrlKinds']): string {
  return [
    'The repository to build, e.g. https://github.com/acme/storage-plugin.git, or over ssh with the deploy key: ssh://git@git.example.com/acme/plugin.git or git@git.example.com:acme/plugin.git.',
    kinds.includes('http') ? 'This server also accepts plain http:// URLs.' : '',
    kinds.includes('file')
      ? 'This server also builds local repositories: file:///srv/git/plugin.git or /srv/git/plugin.git.'
      : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** The settings form; `settings` as last read from the server. */
export function BuildSettingsForm({
  projectId,
  namespace,
  settings,
}: {
  projectId: string;
  namespace: string;
  settings: BuildSettings;
}) {
  const client = useQueryClient();
  const [gitUrl, setGitUrl] = useState(settings.gitUrl ?? '');
  const [ref, setRef] = useState(settings.ref ?? '');
  const [dockerfile, setDockerfile] = useState(settings.dockerfile);
  const [contextDir, setContextDir] = useState(settings.contextDir);
  const [repository, setRepository] = useState(settings.repository ?? '');
  const [args, setArgs] = useState<Arg[]>(() =>
    Object.entries(settings.buildArgs).map(([name, value], key) => ({ key, name, value })),
  );
  const [nextKey, setNextKey] = useState(args.length);
  const [autoRebuild, setAutoRebuild] = useState(settings.autoRebuild);
  const [autoPublish, setAutoPublish] = useState(settings.autoPublish);
  const [change, setChange] = useState<CredentialsChange>('keep');
  const [user, setUser] = useState(settings.credentials?.user ?? '');
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const [badArg, setBadArg] = useState<string | undefined>(undefined);

  const save = useMutation({
    mutationFn: async (body: BuildSettingsBody) =>
      ok(
        await api.PUT('/api/v1/projects/{id}/build-settings', {
          params: { path: { id: projectId } },
          body,
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData(['project', projectId, 'build-settings'], saved);
      // Auto publish is the project's flag too.
      void client.invalidateQueries({ queryKey: ['project', projectId], exact: true });
      setErrors(NO_ERRORS);
      setBadArg(undefined);
      setChange('keep');
      setToken('');
      setUser(saved.credentials?.user ?? '');
    },
    onError: (err) => {
      const problem = problemOf(err);
      const field = fieldOf(problem);
      setErrors(formErrors(problem, FIELDS, field === undefined ? {} : { [problem.code]: field }));
      setBadArg(typeof problem.name === 'string' ? problem.name : undefined);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields: Partial<Record<Field, string>> = {};
    if (gitUrl.trim() === '') {
      fields.gitUrl = 'Enter the URL of the git repository.';
    }
    if (change === 'set' && (user.trim() === '' || token === '')) {
      fields.credentials = 'Enter both the user name and the token, or cancel the change.';
    }
    const named = args.filter((a) => a.name.trim() !== '' || a.value !== '');
    if (named.some((a) => a.name.trim() === '')) {
      fields.buildArgs = 'Give each build argument a name, or remove it.';
    }
    if (Object.keys(fields).length > 0) {
      setErrors({ fields, form: undefined });
      return;
    }
    setErrors(NO_ERRORS);
    save.mutate({
      gitUrl: gitUrl.trim(),
      ref: ref.trim() === '' ? null : ref.trim(),
      dockerfile: dockerfile.trim() === '' ? 'Dockerfile' : dockerfile.trim(),
      contextDir: contextDir.trim() === '' ? '.' : contextDir.trim(),
      buildArgs: Object.fromEntries(named.map((a) => [a.name.trim(), a.value])),
      ...(repository.trim() === '' ? {} : { repository: repository.trim() }),
      autoRebuild,
      autoPublish: autoRebuild || autoPublish,
      ...(change === 'keep'
        ? {}
        : { credentials: change === 'remove' ? null : { user: user.trim(), token } }),
    });
  };

  const setArg = (key: number, patch: Partial<Omit<Arg, 'key'>>) =>
    setArgs((rows) => rows.map((a) => (a.key === key ? { ...a, ...patch } : a)));
  const addArg = () => {
    setArgs((rows) => [...rows, { key: nextKey, name: '', value: '' }]);
    setNextKey((k) => k + 1);
  };

  return (
    <Form onSubmit={submit} noValidate aria-label="Configure Build Service">
      <TextField
        id="gitUrl"
        label="Git source URL"
        value={gitUrl}
        onChange={setGitUrl}
        error={errors.fields.gitUrl}
        hint={gitUrlHint(settings.allowedUrlKinds)}
      />
      <TextField
        id="ref"
        label="Branch or ref"
        value={ref}
        onChange={setRef}
        required={false}
        error={errors.fields.ref}
        hint="A branch, tag or commit id; empty: the repository's default branch."
      />
      <TextField
        id="dockerfile"
        label="Dockerfile name"
        value={dockerfile}
        onChange={setDockerfile}
        required={false}
        error={errors.fields.dockerfile}
        hint="A different filename other than the default Dockerfile (for example, Dockerfile-for-RHOSP13), or a path to a Dockerfile in a subdirectory (for example, dockerfiles/app1/)."
      />
      <TextField
        id="contextDir"
        label="Context directory"
        value={contextDir}
        onChange={setContextDir}
        required={false}
        error={errors.fields.contextDir}
        hint="The directory the build sees, relative to the repository (. for its root)."
      />
      <TextField
        id="repository"
        label="Repository"
        value={repository}
        onChange={setRepository}
        required={false}
        error={errors.fields.repository}
        hint={`Builds push to ${namespace}/<repository>; empty: the git URL's last part (…/storage-plugin.git → storage-plugin).${settings.repositoryReference === null ? '' : ` Now: ${settings.repositoryReference}.`}`}
      />
      <BuildArgs
        args={args}
        error={errors.fields.buildArgs}
        badArg={badArg}
        onChange={setArg}
        onAdd={addArg}
        onRemove={(key) => setArgs((rows) => rows.filter((a) => a.key !== key))}
      />
      <AutoSwitches
        autoRebuild={autoRebuild}
        autoPublish={autoPublish}
        onAutoRebuild={setAutoRebuild}
        onAutoPublish={setAutoPublish}
      />
      <Credentials
        stored={settings.credentials}
        change={change}
        user={user}
        token={token}
        error={errors.fields.credentials}
        onChange={setChange}
        onUser={setUser}
        onToken={setToken}
      />
      <ProblemAlert problem={errors.form} title="The settings were not saved" />
      {save.isSuccess && !save.isPending ? (
        <Alert isInline variant="success" title="Saved" />
      ) : null}
      <ActionGroup>
        <SubmitButton pending={save.isPending}>Save</SubmitButton>
      </ActionGroup>
    </Form>
  );
}
