/** Forgot password: e-mails a reset link (the answer is the same whether the account exists). */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { FormCard, SubmitButton, TextField } from '../components/FormParts';
import { ProblemAlert } from '../components/ProblemAlert';

type Field = 'login';

/** The "send me a reset link" form. */
export default function ForgotPasswordPage() {
  const [login, setLogin] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const mutation = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/accounts/password-reset', { body: { login: login.trim() } })),
    onError: (err) => setErrors(formErrors(problemOf(err), ['login'])),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (login.trim() === '') {
      setErrors({ fields: { login: 'Enter your login or e-mail address.' }, form: undefined });
      return;
    }
    setErrors(NO_ERRORS);
    mutation.mutate();
  };

  return (
    <FormCard title="Reset your password">
      {mutation.isSuccess ? (
        <Alert variant="info" isInline title="Check your e-mail">
          If an account matches, we sent it a link to choose a new password. The link works once.{' '}
          <Link to="/login">Back to log in</Link>
        </Alert>
      ) : (
        <Form onSubmit={submit} noValidate aria-label="Reset your password">
          <TextField
            id="login"
            label="Login or e-mail"
            autoComplete="username"
            value={login}
            onChange={setLogin}
            error={errors.fields.login}
            hint="We e-mail a link to choose a new password."
          />
          <ProblemAlert problem={errors.form} />
          <ActionGroup>
            <SubmitButton pending={mutation.isPending}>Send the link</SubmitButton>
            <LinkButton variant="link" to="/login">
              Back to log in
            </LinkButton>
          </ActionGroup>
        </Form>
      )}
    </FormCard>
  );
}
