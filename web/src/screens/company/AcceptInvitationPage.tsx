/**
 * The invitation e-mail's link (`/accept-invitation?token=…`): the invited user chooses a password
 * (POST /accounts/password with the invitation token, which also confirms the address and
 * activates the account), then logs in and lands on their company.
 */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { useSearchParams } from 'react-router-dom';
import { FormCard, SubmitButton, TextField } from '../../components/FormParts';
import { LinkButton } from '../../components/LinkButton';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RuleList } from '../../components/RuleList';
import { useTokenPassword } from '../../components/useTokenPassword';
import { passwordRules } from '../../rules';

/** Accept an invitation: choose a password. */
export default function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { password, typePassword, repeat, setRepeat, touched, errors, mutation, submit } =
    useTokenPassword(token);

  return (
    <FormCard title="Accept your invitation">
      {token === '' ? (
        <Alert variant="warning" isInline title="This link has no token">
          Open the link from the invitation e-mail exactly as it was sent.
        </Alert>
      ) : mutation.isSuccess ? (
        <Alert variant="success" isInline title="Your account is ready">
          <p>
            Log in as <strong>{mutation.data.login}</strong> with your new password.
          </p>
          <LinkButton to="/login" className="hm-alert-action">
            Log in
          </LinkButton>
        </Alert>
      ) : (
        <Form onSubmit={submit} noValidate aria-label="Accept your invitation">
          <p>
            An organization administrator of your company created a login for you. Choose a password
            to activate it.
          </p>
          <TextField
            id="password"
            label="Password"
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
            label="Repeat the password"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={setRepeat}
            error={errors.fields.repeat}
          />
          <ProblemAlert
            problem={errors.form}
            {...(errors.form?.code === 'account.link_invalid'
              ? { title: 'This invitation cannot be used' }
              : {})}
          />
          {errors.form?.code === 'account.link_invalid' ? (
            <p>Ask your organization administrator to invite you again.</p>
          ) : null}
          <ActionGroup>
            <SubmitButton pending={mutation.isPending}>Accept and set the password</SubmitButton>
          </ActionGroup>
        </Form>
      )}
    </FormCard>
  );
}
