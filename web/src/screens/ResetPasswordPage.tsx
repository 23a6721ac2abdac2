/** The page the reset e-mail's link opens (`/reset-password?token=…`): sets a new password. */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';
import { Link, useSearchParams } from 'react-router-dom';
import { FormCard, SubmitButton, TextField } from '../components/FormParts';
import { ProblemAlert } from '../components/ProblemAlert';
import { RuleList } from '../components/RuleList';
import { useTokenPassword } from '../components/useTokenPassword';
import { passwordRules } from '../rules';

/** The new-password form of a reset link. */
export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { password, typePassword, repeat, setRepeat, touched, errors, mutation, submit } =
    useTokenPassword(token);

  return (
    <FormCard title="Choose a new password">
      {token === '' ? (
        <Alert variant="warning" isInline title="This link has no token">
          Open the link from the e-mail exactly as it was sent, or{' '}
          <Link to="/forgot-password">ask for a new one</Link>.
        </Alert>
      ) : mutation.isSuccess ? (
        <Alert variant="success" isInline title="Your password is set">
          <p>
            You can now log in as <strong>{mutation.data.login}</strong>.
          </p>
          <LinkButton to="/login" className="hm-alert-action">
            Log in
          </LinkButton>
        </Alert>
      ) : (
        <Form onSubmit={submit} noValidate aria-label="Choose a new password">
          <TextField
            id="password"
            label="New password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={typePassword}
            error={errors.fields.password}
            describedBy="password-rules"
          >
            <RuleList id="password" rules={passwordRules(password)} touched={touched} />
          </TextField>
          <TextField
            id="repeat"
            label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={setRepeat}
            error={errors.fields.repeat}
          />
          <ProblemAlert
            problem={errors.form}
            {...(errors.form?.code === 'account.link_invalid'
              ? { title: 'This link cannot be used' }
              : {})}
          />
          {errors.form?.code === 'account.link_invalid' ? (
            <p>
              <Link to="/forgot-password">Ask for a new link</Link>.
            </p>
          ) : null}
          <ActionGroup>
            <SubmitButton pending={mutation.isPending}>Set the password</SubmitButton>
          </ActionGroup>
        </Form>
      )}
    </FormCard>
  );
}
