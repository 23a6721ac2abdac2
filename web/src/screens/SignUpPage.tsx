/** Sign up: a login (never changed later), e-mail, password and name; then the e-mail link. */
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  Form,
  FormGroup,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { FieldHelp } from '../components/FieldError';
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

  const set = (field: Field) => (_e: unknown, value: string) => {
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
      <PageSection>
        <Card className="hm-narrow">
          <CardBody>
            <Title headingLevel="h1" size="2xl" className="hm-title">
              Check your e-mail
            </Title>
            <Alert variant="success" isInline title="Your login is created">
              <p>
                We sent a confirmation link to <strong>{mutation.data.email}</strong>. Open it to
                activate the login <strong>{mutation.data.login}</strong>, then{' '}
                <Link to="/login">log in</Link>.
              </p>
            </Alert>
          </CardBody>
        </Card>
      </PageSection>
    );
  }

  const input = (
    field: Field,
    type: 'text' | 'email' | 'password',
    autoComplete: string,
    describedBy = '',
  ) => (
    <TextInput
      id={field}
      name={field}
      type={type}
      autoComplete={autoComplete}
      value={values[field]}
      onChange={set(field)}
      validated={errors.fields[field] === undefined ? 'default' : 'error'}
      aria-describedby={`${field}-help ${describedBy}`.trim()}
      isRequired
    />
  );

  return (
    <PageSection>
      <Card className="hm-narrow">
        <CardBody>
          <Title headingLevel="h1" size="2xl" className="hm-title">
            Create your login
          </Title>
          <Form onSubmit={submit} noValidate aria-label="Sign up">
            <FormGroup label={LABELS.login} isRequired fieldId="login">
              {input('login', 'text', 'username', 'login-rules')}
              <FieldHelp
                id="login"
                error={errors.fields.login}
                hint="Your login can never be changed."
              />
              <RuleList
                id="login"
                rules={loginRules(values.login)}
                touched={touched.login === true}
              />
            </FormGroup>
            <FormGroup label={LABELS.email} isRequired fieldId="email">
              {input('email', 'email', 'email')}
              <FieldHelp
                id="email"
                error={errors.fields.email}
                hint="We send a confirmation link there."
              />
            </FormGroup>
            <FormGroup label={LABELS.password} isRequired fieldId="password">
              {input('password', 'password', 'new-password', 'password-rules')}
              <FieldHelp id="password" error={errors.fields.password} />
              <RuleList
                id="password"
                rules={passwordRules(values.password)}
                touched={touched.password === true}
              />
            </FormGroup>
            <FormGroup label={LABELS.firstName} isRequired fieldId="firstName">
              {input('firstName', 'text', 'given-name')}
              <FieldHelp id="firstName" error={errors.fields.firstName} />
            </FormGroup>
            <FormGroup label={LABELS.lastName} isRequired fieldId="lastName">
              {input('lastName', 'text', 'family-name')}
              <FieldHelp id="lastName" error={errors.fields.lastName} />
            </FormGroup>
            <ProblemAlert problem={errors.form} />
            <ActionGroup>
              <Button
                type="submit"
                variant="primary"
                isLoading={mutation.isPending}
                isDisabled={mutation.isPending}
              >
                Sign up
              </Button>
            </ActionGroup>
            <p>
              Already registered? <Link to="/login">Log in</Link>.
            </p>
          </Form>
        </CardBody>
      </Card>
    </PageSection>
  );
}
