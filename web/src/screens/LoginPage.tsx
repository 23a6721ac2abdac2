/** Log in: opens a session (cookie) and keeps its CSRF token for later changes. */
import {
  ActionGroup,
  Button,
  Card,
  CardBody,
  Form,
  FormGroup,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { FieldHelp } from '../components/FieldError';
import { ProblemAlert } from '../components/ProblemAlert';
import { useSetSession } from '../session';

type Field = 'login' | 'password';
const FIELDS: readonly Field[] = ['login', 'password'];

/** Where to go after logging in: a path of this UI only (never another origin). */
export function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/catalog';
}

/** The log-in form. */
export default function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const setSession = useSetSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);

  const mutation = useMutation({
    mutationFn: async () => ok(await api.POST('/api/v1/session', { body: { login, password } })),
    onSuccess: (session) => {
      setSession(session);
      void navigate(safeNext(params.get('next')));
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
    <PageSection>
      <Card className="hm-narrow">
        <CardBody>
          <Title headingLevel="h1" size="2xl" className="hm-title">
            Log in to Hallmark
          </Title>
          <Form onSubmit={submit} noValidate aria-label="Log in">
            <FormGroup label="Login or e-mail" isRequired fieldId="login">
              <TextInput
                id="login"
                name="login"
                autoComplete="username"
                value={login}
                onChange={(_e, v) => setLogin(v)}
                validated={errors.fields.login === undefined ? 'default' : 'error'}
                aria-describedby="login-help"
                isRequired
              />
              <FieldHelp id="login" error={errors.fields.login} />
            </FormGroup>
            <FormGroup label="Password" isRequired fieldId="password">
              <TextInput
                id="password"
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(_e, v) => setPassword(v)}
                validated={errors.fields.password === undefined ? 'default' : 'error'}
                aria-describedby="password-help"
                isRequired
              />
              <FieldHelp id="password" error={errors.fields.password} />
            </FormGroup>
            <ProblemAlert problem={errors.form} />
            <ActionGroup>
              <Button
                type="submit"
                variant="primary"
                isLoading={mutation.isPending}
                isDisabled={mutation.isPending}
              >
                Log in
              </Button>
              <LinkButton variant="link" to="/forgot-password">
                Forgot your password?
              </LinkButton>
            </ActionGroup>
            <p>
              New here? <Link to="/signup">Create a login</Link>.
            </p>
          </Form>
        </CardBody>
      </Card>
    </PageSection>
  );
}
