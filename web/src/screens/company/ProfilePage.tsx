/** My profile (`/profile`): names, job title, phone, e-mail; and changing my password. */
import { ActionGroup, Alert, Form, PageSection, Title } from '@patternfly/react-core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, done, problemOf, type User } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { RuleList } from '../../components/RuleList';
import { passwordRules } from '../../rules';
import { useMyProfileForm } from './forms';
import './company.css';

/** The profile screen. */
export default function ProfilePage() {
  return (
    <RequireSession>
      {(user) => (
        <>
          <PageSection>
            <Title headingLevel="h1" size="2xl" className="hm-title">
              My profile
            </Title>
            <p>
              Logged in as <strong>{user.login}</strong> (a login never changes).
            </p>
          </PageSection>
          <ProfileForm user={user} />
          <PasswordForm />
        </>
      )}
    </RequireSession>
  );
}

function ProfileForm({ user }: { user: User }) {
  const form = useMyProfileForm(user, true);
  const [saved, setSaved] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void form.save().then(setSaved);
  };
  return (
    <PageSection aria-labelledby="profile-title">
      <Title headingLevel="h2" id="profile-title" className="hm-title">
        Contact details
      </Title>
      <Form onSubmit={submit} noValidate aria-label="My profile" className="hm-narrow">
        {form.fields}
        <ProblemAlert problem={form.problem} />
        {saved ? <Alert variant="success" isInline isPlain title="Your profile is saved" /> : null}
        <ActionGroup>
          <SubmitButton pending={form.pending}>Save the profile</SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}

type Field = 'currentPassword' | 'newPassword' | 'repeat';

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const mutation = useMutation({
    mutationFn: async () =>
      done(
        await api.PUT('/api/v1/me/password', {
          body: { currentPassword: current, newPassword: next },
        }),
      ),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      setTouched(false);
    },
    onError: (err) =>
      setErrors(
        formErrors(problemOf(err), ['currentPassword', 'newPassword'], {
          'account.password_too_short': 'newPassword',
          'account.wrong_password': 'currentPassword',
        }),
      ),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    const fields: Partial<Record<Field, string>> = {};
    if (current === '') {
      fields.currentPassword = 'Enter your current password.';
    }
    if (passwordRules(next).some((r) => !r.met)) {
      fields.newPassword = 'This password does not meet the rules below.';
    }
    if (repeat !== next) {
      fields.repeat = 'The two passwords differ.';
    }
    setErrors({ fields, form: undefined });
    if (Object.keys(fields).length === 0) {
      mutation.mutate();
    }
  };
  return (
    <PageSection aria-labelledby="password-title">
      <Title headingLevel="h2" id="password-title" className="hm-title">
        Change my password
      </Title>
      <Form onSubmit={submit} noValidate aria-label="Change my password" className="hm-narrow">
        <TextField
          id="currentPassword"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
          error={errors.fields.currentPassword}
        />
        <TextField
          id="newPassword"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(v) => {
            setNext(v);
            setTouched(true);
          }}
          error={errors.fields.newPassword}
          describedBy="newPassword-rules"
        >
          <RuleList id="newPassword" rules={passwordRules(next)} touched={touched} />
        </TextField>
        <TextField
          id="repeatPassword"
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          error={errors.fields.repeat}
        />
        <ProblemAlert problem={errors.form} />
        {mutation.isSuccess ? (
          <Alert
            variant="success"
            isInline
            isPlain
            title="Your password is changed; your other sessions have ended"
          />
        ) : null}
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>Change the password</SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}
