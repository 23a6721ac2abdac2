/** Sign up: a login (never changed later), e-mail, password and name; then the e-mail link. */
import { ActionGroup, Alert, Form } from '@patternfly/react-core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { FormCard, SubmitButton, TextField } from '../components/FormParts';
import { ProblemAlert } from '../components/ProblemAlert';
import { RuleList } from '../components/RuleList';
import { loginRules, passwordRules } from '../rules';

type Field = 'login' | 'email' | 'password' | 'firstName' | 'lastName';
const FIELDS: readonly Field[] = ['login', 'email', 'password', 'firstName', 'lastName'];
const BY_CODE = {
  'account.login_taken': 'login',
  'account.password_too_short': 'password',
} as const;

const LABELS: Record<Field, string> = {
  login: 'Login',
  email: 'E-mail address',
  password: 'Password',
  firstName: 'First name',
  lastName: 'Last name',
};

/** The registration form, then "check your e-mail". */
export default function SignUpPage() {
  const [values, setValues] = useState<Record<Field, string>>({
    login: '',
    email: '',
    password: '',
    firstName: '',
    lastName: '',
  });
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);

  const mutation = useMutation({
    mutationFn: async () => ok(await api.POST('/api/v1/accounts', { body: values })),
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS, BY_CODE)),
  });

  const set = (field: Field) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setTouched((t) => ({ ...t, [field]: true }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fields: Partial<Record<Field, string>> = {};
    for (const field of FIELDS) {
      if (values[field].trim() === '') {
        fields[field] = `${LABELS[field]} is required.`;
      }
    }
    if (fields.login === undefined && loginRules(values.login).some((r) => !r.met)) {
      fields.login = 'This login does not meet the rules below.';
    }
    if (fields.password === undefined && passwordRules(values.password).some((r) => !r.met)) {
      fields.password = 'This password does not meet the rules below.';
    }
    if (fields.email === undefined && !/^[^\s@]+@[^\s@]+$/.test(values.email.trim())) {
      fields.email = 'Enter an e-mail address such as name@example.com.';
    }
    setErrors({ fields, form: undefined });
    setTouched({ login: true, password: true });
    if (Object.keys(fields).length === 0) {
      mutation.mutate();
    }
  };

  if (mutation.isSuccess) {
    return (
      <FormCard title="Check your e-mail">
        <Alert variant="success" isInline title="Your login is created">
          <p>
            We sent a confirmation link to <strong>{mutation.data.email}</strong>. Open it to
            activate the login <strong>{mutation.data.login}</strong>, then{' '}
            <Link to="/login">log in</Link>.
          </p>
        </Alert>
      </FormCard>
    );
  }

  /** The field of `field`, labelled and described as the form's rules say. */
  const field = (
    id: Field,
    type: 'text' | 'email' | 'password',
    autoComplete: string,
    extra: { hint?: string; describedBy?: string; children?: ReactNode } = {},
  ) => (
    <TextField
      id={id}
      label={LABELS[id]}
      type={type}
      autoComplete={autoComplete}
      value={values[id]}
      onChange={set(id)}
      error={errors.fields[id]}
      {...extra}
    />
  );

  return (
    <FormCard title="Create your login">
      <Form onSubmit={submit} noValidate aria-label="Sign up">
        {field('login', 'text', 'username', {
          hint: 'Your login can never be changed.',
          describedBy: 'login-rules',
          children: (
            <RuleList
              id="login"
              rules={loginRules(values.login)}
              touched={touched.login === true}
            />
          ),
        })}
        {field('email', 'email', 'email', { hint: 'We send a confirmation link there.' })}
        {field('password', 'password', 'new-password', {
          describedBy: 'password-rules',
          children: (
            <RuleList
              id="password"
              rules={passwordRules(values.password)}
              touched={touched.password === true}
            />
          ),
        })}
        {field('firstName', 'text', 'given-name')}
        {field('lastName', 'text', 'family-name')}
        <ProblemAlert problem={errors.form} />
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>Sign up</SubmitButton>
        </ActionGroup>
        <p>
          Already registered? <Link to="/login">Log in</Link>.
        </p>
      </Form>
    </FormCard>
  );
}
