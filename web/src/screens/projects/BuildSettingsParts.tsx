/**
 * The parts of the Build Service settings form beyond plain text fields: the build argument
 * rows, the auto rebuild and auto publish switches (auto publish on and locked while auto
 * rebuild is on, the guide's rule) and the write-only HTTPS credentials.
 */
import {
  Button,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Switch,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { FieldHelp } from '../../components/FieldError';
import { TextField } from '../../components/FormParts';
import type { BuildSettings } from './builds';

/** One build argument row (`key` keeps React's rows apart while names are edited). */
export interface Arg {
  readonly key: number;
  readonly name: string;
  readonly value: string;
}

/** What to do with the stored HTTPS credentials on save. */
export type CredentialsChange = 'keep' | 'set' | 'remove';

/** Auto Rebuild, and Auto Publish that it turns on and keeps on. */
export function AutoSwitches({
  autoRebuild,
  autoPublish,
  onAutoRebuild,
  onAutoPublish,
}: {
  autoRebuild: boolean;
  autoPublish: boolean;
  onAutoRebuild: (on: boolean) => void;
  onAutoPublish: (on: boolean) => void;
}) {
  return (
    <>
      <Title headingLevel="h3">Automatic rebuilds</Title>
      <FormGroup fieldId="autoRebuild" role="group" label="Auto Rebuild">
        <Switch
          id="autoRebuild"
          label="Rebuild by itself"
          isChecked={autoRebuild}
          onChange={(_e, on) => onAutoRebuild(on)}
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
          onChange={(_e, on) => onAutoPublish(on)}
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
    </>
  );
}

/** The build arguments: a name and a value per row, added and removed. */
export function BuildArgs({
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
export function Credentials({
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
