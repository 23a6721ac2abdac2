/**
 * Log in: opens a session (cookie) and keeps its CSRF token for later changes, then goes where
 * the user was (`next`) or to their place: staff to the work queue, a partner to their company,
 * a user without a company to find it. Says so when a session ended under the user.
 */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { FormCard, SubmitButton, TextField } from '../components/FormParts';
import { ProblemAlert } from '../components/ProblemAlert';
import { clearSessionEnded, sessionEnded, useSetSession } from '../session';
import './company/company.css';

type Field = 'login' | 'password';
const FIELDS: readonly Field[] = ['login', 'password'];

/** Where to go after logging in: a path of this UI only (never another origin). */
export function safeNext(next: string | null): string | undefined {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : undefined;
}

/** Where a user goes after logging in without a `next`. */
export function homeOf(user: User): string {
  if (user.staff) {
    return '/staff';
  }
  return user.companyId === null ? '/welcome' : `/companies/${user.companyId}`;
}

/** The log-in form. */
export default function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const setSession = useSetSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  // Read once: the 401 that ended the session marked it before this page opened.
  const [ended] = useState(sessionEnded);

  const mutation = useMutation({
    mutationFn: async () => ok(await api.POST('/api/v1/session', { body: { login, password } })),
    onSuccess: (session) => {
      setSession(session);
      clearSessionEnded();
      void navigate(safeNext(params.get('next')) ?? homeOf(session.user));
    },
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS)),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields: Partial<Record<Field, string>> = {};
    if (login.trim() === '') {
      fields.login = 'Enter your login or e-mail address.';
    }
    if (password === '') {
      fields.password = 'Enter your password.';
    }
    setErrors({ fields, form: undefined });
    if (Object.keys(fields).length === 0) {
      mutation.mutate();
    }
  };

  return (
    <FormCard title="Log in to Hallmark">
      {ended ? (
        <Alert
          variant="info"
          isInline
          title="Your session has ended. Log in again to continue."
          className="hm-company-gap"
        />
      ) : null}
      <Form onSubmit={submit} noValidate aria-label="Log in">
        <TextField
          id="login"
          label="Login or e-mail"
          autoComplete="username"
          value={login}
          onChange={setLogin}
          error={errors.fields.login}
        />
        <TextField
          id="password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors.fields.password}
        />
        <ProblemAlert problem={errors.form} />
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>Log in</SubmitButton>
          <LinkButton variant="link" to="/forgot-password">
            Forgot your password?
          </LinkButton>
        </ActionGroup>
        <p>
          New here? <Link to="/signup">Create a login</Link>.
        </p>
      </Form>
    </FormCard>
  );
}
