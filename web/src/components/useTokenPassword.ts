/**
 * The new-password form behind an e-mail's token (a reset link, an invitation): the password and
 * its repetition, checked against the rules before POST /accounts/password spends the token.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ok, problemOf } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { passwordRules } from '../rules';

type Field = 'password' | 'repeat';
const BY_CODE = { 'account.password_too_short': 'password' } as const;

/** The form's state, its errors, the request and the submit handler. */
export function useTokenPassword(token: string) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const mutation = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/accounts/password', { body: { token, password } })),
    onError: (err) => setErrors(formErrors(problemOf(err), ['password'], BY_CODE)),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    const fields: Partial<Record<Field, string>> = {};
    if (passwordRules(password).some((r) => !r.met)) {
      fields.password = 'This password does not meet the rules below.';
    }
    if (repeat !== password) {
      fields.repeat = 'The two passwords differ.';
    }
    setErrors({ fields, form: undefined });
    if (Object.keys(fields).length === 0) {
      mutation.mutate();
    }
  };

  /** Typing the password shows which rules it meets. */
  const typePassword = (value: string) => {
    setPassword(value);
    setTouched(true);
  };

  return { password, typePassword, repeat, setRepeat, touched, errors, mutation, submit };
}
