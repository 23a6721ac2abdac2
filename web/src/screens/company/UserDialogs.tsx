/**
 * The users page's dialogs: "Create new user" and "Edit user <login>". Both are one form part, the
 * guide's fields and the Org Admin flag; editing shows the e-mail address and the login read-only
 * (the API changes neither). The API's problems appear next to their fields, the rest above the
 * actions, and the first field in error takes the focus.
 */
import {
  Button,
  Checkbox,
  Form,
  FormGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextInput,
} from '@patternfly/react-core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ok, problemOf } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import type { paths } from '../../api/schema';
import { FieldHelp } from '../../components/FieldError';
import { TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import { loginRules } from '../../rules';
import { orNull } from './parts';

/** A row of the company's user list, as the list and an edit return it. */
export type CompanyUser =
  paths['/api/v1/companies/{id}/users/{userId}']['patch']['responses'][200]['content']['application/json'];

/** "Create new user": the guide's fields and the Org Admin flag; an invitation e-mail follows. */
export function AddUserDialog({
  companyId,
  onClose,
  onAdded,
}: {
  companyId: string;
  onClose: () => void;
  onAdded: (login: string) => void;
}) {
  const form = useUserForm('new', EMPTY, false);
  const { values } = form;
  const optional = (key: 'greeting' | 'suffix' | 'position' | 'department') => {
    const v = values[key].trim();
    return v === '' ? {} : { [key]: v };
  };
  const mutation = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/companies/{id}/users', {
          params: { path: { id: companyId } },
          body: {
            firstName: values.firstName.trim(),
            lastName: values.lastName.trim(),
            email: values.email.trim(),
            login: values.login.trim(),
            orgAdmin: form.orgAdmin,
            ...optional('greeting'),
            ...optional('suffix'),
            ...optional('position'),
            ...optional('department'),
          },
        }),
      ),
    onSuccess: (created) => onAdded(created.login),
    onError: form.fail,
  });
  return (
    <UserDialog
      form={form}
      title="Create new user"
      newAccount
      pending={mutation.isPending}
      onSubmit={() => mutation.mutate()}
      onClose={onClose}
    />
  );
}

/**
 * "Edit user <login>", filled in with `user`; it sends only what changed. `self` warns that
 * dropping one's own flag ends managing users (the API refuses it for the last org admin).
 */
export function EditUserDialog({
  companyId,
  user,
  self,
  onClose,
  onSaved,
}: {
  companyId: string;
  user: CompanyUser;
  self: boolean;
  onClose: () => void;
  onSaved: (saved: CompanyUser) => void;
}) {
  const form = useUserForm(
    'edit',
    {
      greeting: user.greeting ?? '',
      firstName: user.firstName,
      lastName: user.lastName,
      suffix: user.suffix ?? '',
      position: user.position ?? '',
      department: user.department ?? '',
      email: user.email,
      login: user.login,
    },
    user.orgAdmin,
  );
  const mutation = useMutation({
    mutationFn: async (body: UpdateBody) =>
      ok(
        await api.PATCH('/api/v1/companies/{id}/users/{userId}', {
          params: { path: { id: companyId, userId: user.id } },
          body,
        }),
      ),
    onSuccess: onSaved,
    onError: form.fail,
  });
  const submit = () => {
    const body = changes(user, form.values, form.orgAdmin);
    // The API refuses an empty change; nothing to save is simply done.
    if (Object.keys(body).length === 0) {
      onClose();
    } else {
      mutation.mutate(body);
    }
  };
  return (
    <UserDialog
      form={form}
      title={`Edit user ${user.login}`}
      newAccount={false}
      orgAdminNote={
        self && user.orgAdmin
          ? 'This is you: without the flag you can no longer manage users.'
          : undefined
      }
      pending={mutation.isPending}
      onSubmit={submit}
      onClose={onClose}
    />
  );
}

type TextKey = 'greeting' | 'firstName' | 'lastName' | 'suffix' | 'position' | 'department';
type Field = TextKey | 'email' | 'login' | 'orgAdmin';
type Values = Record<TextKey | 'email' | 'login', string>;
type UpdateBody =
  paths['/api/v1/companies/{id}/users/{userId}']['patch']['requestBody']['content']['application/json'];

const FIELDS: readonly Field[] = [
  'greeting',
  'firstName',
  'lastName',
  'suffix',
  'position',
  'department',
  'email',
  'login',
  'orgAdmin',
];
/** Problems about one field, shown next to it. */
const FIELD_OF_CODE: Readonly<Record<string, Field>> = {
  'account.login_taken': 'login',
  'company.last_org_admin': 'orgAdmin',
};
const EMPTY: Values = {
  greeting: '',
  firstName: '',
  lastName: '',
  suffix: '',
  position: '',
  department: '',
  email: '',
  login: '',
};
const ORG_ADMIN_HELP =
  'For a user to access software and certification tools, check the Org Admin box. Multiple users can be organization administrators.';

/** The fields `values` change on `user`: trimmed, an emptied optional field as null (cleared). */
function changes(user: CompanyUser, values: Values, orgAdmin: boolean): UpdateBody {
  const body: UpdateBody = {};
  for (const key of ['firstName', 'lastName'] as const) {
    const value = values[key].trim();
    if (value !== user[key]) {
      body[key] = value;
    }
  }
  for (const key of ['greeting', 'suffix', 'position', 'department'] as const) {
    const value = orNull(values[key]);
    if (value !== user[key]) {
      body[key] = value;
    }
  }
  if (orgAdmin !== user.orgAdmin) {
    body.orgAdmin = orgAdmin;
  }
  return body;
}

/** The state of a user form whose field ids start with `prefix` (`new-firstName`). */
interface UserForm {
  readonly prefix: string;
  readonly values: Values;
  readonly orgAdmin: boolean;
  readonly errors: FormErrors<Field>;
  readonly set: (key: keyof Values) => (value: string) => void;
  readonly setOrgAdmin: (on: boolean) => void;
  /** Checks what the browser can (required fields, the login's rules); true when all is well. */
  readonly check: (newAccount: boolean) => boolean;
  /** Shows a failed request's problem: next to its fields, or above the actions. */
  readonly fail: (err: unknown) => void;
}

function useUserForm(prefix: string, initial: Values, initialOrgAdmin: boolean): UserForm {
  const [values, setValues] = useState(initial);
  const [orgAdmin, setOrgAdmin] = useState(initialOrgAdmin);
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  // Keyboard and screen-reader users land on the first message rather than hunt for it.
  useEffect(() => {
    const first = FIELDS.find((key) => errors.fields[key] !== undefined);
    if (first !== undefined) {
      document.getElementById(`${prefix}-${first}`)?.focus();
    }
  }, [errors, prefix]);
  return {
    prefix,
    values,
    orgAdmin,
    errors,
    set: (key) => (value) => setValues((v) => ({ ...v, [key]: value })),
    setOrgAdmin,
    check: (newAccount) => {
      const fields: Partial<Record<Field, string>> = {};
      const required = [
        ['firstName', 'Enter the first name.'],
        ['lastName', 'Enter the last name.'],
        ...(newAccount ? ([['email', 'Enter the e-mail address.']] as const) : []),
      ] as const;
      for (const [key, message] of required) {
        if (values[key].trim() === '') {
          fields[key] = message;
        }
      }
      if (newAccount && loginRules(values.login.trim()).some((r) => !r.met)) {
        fields.login = 'A login has at least 5 characters: letters, digits, ".", "_", "@" or "-".';
      }
      setErrors({ fields, form: undefined });
      return Object.keys(fields).length === 0;
    },
    fail: (err) => setErrors(formErrors(problemOf(err), FIELDS, FIELD_OF_CODE)),
  };
}

/**
 * The dialog both use: the guide's fields, the Org Admin flag, Save and Cancel. A new account's
 * e-mail address and login are typed in; an existing one's are shown read-only.
 */
function UserDialog({
  form,
  title,
  newAccount,
  orgAdminNote,
  pending,
  onSubmit,
  onClose,
}: {
  form: UserForm;
  title: string;
  newAccount: boolean;
  orgAdminNote?: string | undefined;
  pending: boolean;
  onSubmit: () => void;
  onClose: () => void;
}) {
  const { prefix, values, errors } = form;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.check(newAccount)) {
      onSubmit();
    }
  };
  const field = (key: keyof Values, label: string, required: boolean, hint?: string) => (
    <TextField
      id={`${prefix}-${key}`}
      label={label}
      value={values[key]}
      onChange={form.set(key)}
      error={errors.fields[key]}
      required={required}
      {...(hint === undefined ? {} : { hint })}
      {...(key === 'email' ? { type: 'email' as const } : {})}
    />
  );
  const orgAdminId = `${prefix}-orgAdmin`;
  const orgAdminError = errors.fields.orgAdmin;
  return (
    <Modal variant="medium" isOpen onClose={onClose} aria-labelledby={`${prefix}-title`}>
      <ModalHeader title={title} labelId={`${prefix}-title`} />
      <ModalBody>
        <Form id={`${prefix}-user`} onSubmit={submit} noValidate aria-label={title}>
          {field('greeting', 'Greeting', false)}
          {field('firstName', 'First name', true)}
          {field('lastName', 'Last name', true)}
          {field('suffix', 'Suffix', false)}
          {field('position', 'Position', false)}
          {field('department', 'Department', false)}
          {newAccount ? (
            <>
              {field(
                'email',
                'E-mail address',
                true,
                'The invitation to choose a password goes here.',
              )}
              {field('login', 'Login', true, 'At least 5 characters; it can never be changed.')}
            </>
          ) : (
            <>
              <ReadOnlyField
                id={`${prefix}-email`}
                label="E-mail address"
                value={values.email}
                hint="The user changes it in their profile."
              />
              <ReadOnlyField
                id={`${prefix}-login`}
                label="Login"
                value={values.login}
                hint="A login never changes."
              />
            </>
          )}
          <div>
            <Checkbox
              id={orgAdminId}
              label="Organization Administrator (Org Admin)"
              description={
                <span id={`${orgAdminId}-description`}>
                  {ORG_ADMIN_HELP}
                  {orgAdminNote === undefined ? null : <strong> {orgAdminNote}</strong>}
                </span>
              }
              aria-describedby={
                orgAdminError === undefined
                  ? `${orgAdminId}-description`
                  : `${orgAdminId}-description ${orgAdminId}-help`
              }
              isValid={orgAdminError === undefined}
              isChecked={form.orgAdmin}
              onChange={(_e, on) => form.setOrgAdmin(on)}
            />
            <FieldHelp id={orgAdminId} error={orgAdminError} />
          </div>
          <ProblemAlert problem={errors.form} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button
          type="submit"
          form={`${prefix}-user`}
          variant="primary"
          isLoading={pending}
          isDisabled={pending}
        >
          Save
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}

/** A value the form shows but cannot change, labelled and described like a `TextField`. */
function ReadOnlyField({
  id,
  label,
  value,
  hint,
}: {
  id: string;
  label: string;
  value: string;
  hint: string;
}) {
  return (
    <FormGroup label={label} fieldId={id}>
      <TextInput id={id} value={value} readOnlyVariant="default" aria-describedby={`${id}-help`} />
      <FieldHelp id={id} hint={hint} />
    </FormGroup>
  );
}
