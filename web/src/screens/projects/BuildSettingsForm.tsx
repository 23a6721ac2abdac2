/**
 * "Configure Build Service" for the company's org admins: the git source, branch or ref,
 * Dockerfile, context directory, repository, build arguments, auto rebuild and auto publish (on,
 * and not to be turned off, while auto rebuild is on: the guide's rule) and optional HTTPS
 * credentials, whose token is write-only (replaced or removed, never shown). The server's
 * refusals are shown beside their fields.
 */
import {
  ActionGroup,
  Alert,
  Button,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Switch,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok, problemOf, type Problem } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { FieldHelp } from '../../components/FieldError';
import { SubmitButton, TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { BuildSettings, BuildSettingsBody } from './builds';

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

/** One build argument row (`key` keeps React's rows apart while names are edited). */
interface Arg {
  readonly key: number;
  readonly name: string;
  readonly value: string;
}

/** What to do with the stored HTTPS credentials on save. */
type CredentialsChange = 'keep' | 'set' | 'remove';

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

/** The repository name without the project's namespace (the API shows `<namespace>/<name>`). */
function repositoryName(repository: string | null, namespace: string): string {
  if (repository === null) {
    return '';
  }
  return repository.startsWith(`${namespace}/`)
    ? repository.slice(namespace.length + 1)
    : repository;
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
  const [repository, setRepository] = useState(repositoryName(settings.repository, namespace));
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
        hint="The repository to build, e.g. https://github.com/acme/storage-plugin.git, or over ssh with the deploy key: ssh://git@git.example.com/acme/plugin.git or git@git.example.com:acme/plugin.git."
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
        hint={`Builds push to ${namespace}/<repository>; empty: the git URL's last part (…/storage-plugin.git → storage-plugin).${settings.repository === null ? '' : ` Now: ${settings.repository}.`}`}
      />
      <BuildArgs
        args={args}
        error={errors.fields.buildArgs}
        badArg={badArg}
        onChange={setArg}
        onAdd={addArg}
        onRemove={(key) => setArgs((rows) => rows.filter((a) => a.key !== key))}
      />
      <Title headingLevel="h3">Automatic rebuilds</Title>
      <FormGroup fieldId="autoRebuild" role="group" label="Auto Rebuild">
        <Switch
          id="autoRebuild"
          label="Rebuild by itself"
          isChecked={autoRebuild}
          onChange={(_e, on) => setAutoRebuild(on)}
          aria-describedby="autoRebuild-help"
        />
        <FormHelperText>
          <HelperText id="autoRebuild-help">
            <HelperTextItem>
              Automatically rebuild your container when its base image or its packages get security
              updates. Auto publish is required and will be enabled when Auto Rebuild is on.
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <FormGroup fieldId="autoPublish" role="group" label="Auto Publish">
        <Switch
          id="autoPublish"
          label="Publish each image that passes"
          isChecked={autoRebuild || autoPublish}
          isDisabled={autoRebuild}
          onChange={(_e, on) => setAutoPublish(on)}
          aria-describedby="autoPublish-help"
        />
        <FormHelperText>
          <HelperText id="autoPublish-help">
            <HelperTextItem>
              {autoRebuild
                ? 'Always on while Auto Rebuild is on: a rebuilt image that passes its scan replaces the published one without anyone’s attention.'
                : 'Images that pass their scan are published to the catalog once the project is certified.'}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
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

/** The build arguments: a name and a value per row, added and removed. */
function BuildArgs({
  args,
  error,
  badArg,
  onChange,
  onAdd,
  onRemove,
}: {
  args: readonly Arg[];
  error: string | undefined;
  badArg: string | undefined;
  onChange: (key: number, patch: Partial<Omit<Arg, 'key'>>) => void;
  onAdd: () => void;
  onRemove: (key: number) => void;
}) {
  return (
    <FormGroup label="Build arguments" fieldId="buildArgs" role="group">
      {args.length === 0 ? <p>None: the Dockerfile&apos;s ARG defaults apply.</p> : null}
      {args.map((arg, i) => (
        <div key={arg.key} className="hm-build-arg">
          <TextInput
            id={`buildArg-${arg.key}-name`}
            aria-label={`Build argument ${i + 1} name`}
            placeholder="NAME"
            value={arg.name}
            validated={badArg !== undefined && arg.name.trim() === badArg ? 'error' : 'default'}
            onChange={(_e, name) => onChange(arg.key, { name })}
          />
          <TextInput
            id={`buildArg-${arg.key}-value`}
            aria-label={`Build argument ${i + 1} value`}
            placeholder="value"
            value={arg.value}
            onChange={(_e, value) => onChange(arg.key, { value })}
          />
          <Button variant="secondary" onClick={() => onRemove(arg.key)}>
            Remove<span className="pf-v6-screen-reader"> build argument {i + 1}</span>
          </Button>
        </div>
      ))}
      <div>
        <Button variant="link" isInline onClick={onAdd}>
          Add a build argument
        </Button>
      </div>
      <FieldHelp
        id="buildArgs"
        error={error}
        hint="Passed as --build-arg NAME=value; names are letters, digits and _ (not starting with a digit)."
      />
    </FormGroup>
  );
}

/** The HTTPS credentials: the token is never shown, only replaced or removed. */
function Credentials({
  stored,
  change,
  user,
  token,
  error,
  onChange,
  onUser,
  onToken,
}: {
  stored: BuildSettings['credentials'];
  change: CredentialsChange;
  user: string;
  token: string;
  error: string | undefined;
  onChange: (change: CredentialsChange) => void;
  onUser: (user: string) => void;
  onToken: (token: string) => void;
}) {
  return (
    <FormGroup label="HTTPS credentials" fieldId="credentials" role="group">
      {change === 'set' ? (
        <>
          <TextField
            id="credentialsUser"
            label="User name"
            value={user}
            onChange={onUser}
            hint="The user the git host expects with a token, e.g. x-access-token (GitHub) or oauth2 (GitLab)."
            autoComplete="off"
          />
          <TextField
            id="credentialsToken"
            label="Token"
            type="password"
            value={token}
            onChange={onToken}
            autoComplete="new-password"
            hint="A read-only access token; stored encrypted and never shown again."
          />
          <div>
            <Button variant="link" isInline onClick={() => onChange('keep')}>
              Cancel the change
            </Button>
          </div>
        </>
      ) : change === 'remove' ? (
        <p>
          The stored token is removed when you save.{' '}
          <Button variant="link" isInline onClick={() => onChange('keep')}>
            Keep it
          </Button>
        </p>
      ) : stored === null ? (
        <p>
          None: public repositories and ssh sources (with the deploy key) need none.{' '}
          <Button variant="link" isInline onClick={() => onChange('set')}>
            Add HTTPS credentials
          </Button>
        </p>
      ) : (
        <p data-testid="token-stored">
          A token is stored for user “{stored.user}”.{' '}
          <Button variant="link" isInline onClick={() => onChange('set')}>
            Replace it
          </Button>{' '}
          <Button variant="link" isInline isDanger onClick={() => onChange('remove')}>
            Remove it
          </Button>
        </p>
      )}
      <FieldHelp id="credentials" error={error} />
    </FormGroup>
  );
}
