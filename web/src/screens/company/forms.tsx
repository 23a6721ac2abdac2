/**
 * The forms of "Become a partner" and "My profile" as hooks: each gives its fields and a `save()`
 * that resolves true once the API took them (false with the errors shown next to the fields), so
 * the wizard's Next and a plain Save button can both drive them.
 */
import { Checkbox, FormGroup } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ok, problemOf, type Problem, type User } from '../../api/client';
import { FieldHelp } from '../../components/FieldError';
import { TextField } from '../../components/FormParts';
import {
  companyKey,
  nestedErrors,
  orNull,
  SelectField,
  TextAreaField,
  type Company,
} from './parts';

/** Company sizes and partner types the API takes (src/modules/companies/profile.ts). */
const COMPANY_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5001+'] as const;
const PARTNER_TYPES = [
  'ISV',
  'IHV',
  'Cloud and Service Provider',
  'System Integrator',
  'OEM',
  'Training Partner',
] as const;

/** A form as a hook's result. */
export interface StepForm {
  readonly fields: ReactNode;
  readonly problem: Problem | undefined;
  readonly pending: boolean;
  save(): Promise<boolean>;
}

type Errors = Record<string, string>;

/** The company profile's fields of one step, as strings (arrays joined) keyed by dotted path. */
function profileValues(company: Company): Record<string, string> {
  const p = company.profile;
  return {
    legalName: p.legalName ?? '',
    'address.street': p.address.street ?? '',
    'address.city': p.address.city ?? '',
    'address.postalCode': p.address.postalCode ?? '',
    'address.country': p.address.country ?? '',
    phone: p.phone ?? '',
    website: p.website ?? '',
    description: p.description ?? '',
    companySize: p.companySize ?? '',
    industry: p.industry ?? '',
    'primaryContact.name': p.primaryContact.name ?? '',
    'primaryContact.email': p.primaryContact.email ?? '',
    'technicalContact.name': p.technicalContact.name ?? '',
    'technicalContact.email': p.technicalContact.email ?? '',
    programInterests: p.programInterests.join(', '),
  };
}

const DETAILS_KEYS = [
  'legalName',
  'address.street',
  'address.city',
  'address.postalCode',
  'address.country',
  'phone',
  'website',
  'description',
  'companySize',
  'industry',
] as const;
const CONNECT_KEYS = [
  'partnerTypes',
  'primaryContact.name',
  'primaryContact.email',
  'technicalContact.name',
  'technicalContact.email',
  'programInterests',
] as const;

/** "Company details" (`details`) or "Connect details" (`connect`) of a company's profile. */
export function useCompanyProfileForm(company: Company, part: 'details' | 'connect'): StepForm {
  const client = useQueryClient();
  const [values, setValues] = useState(() => profileValues(company));
  const [types, setTypes] = useState<string[]>(company.profile.partnerTypes);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const set = (key: string) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  const v = (key: string) => values[key] ?? '';

  const body = () => {
    if (part === 'details') {
      return {
        legalName: orNull(v('legalName')),
        address: {
          street: orNull(v('address.street')),
          city: orNull(v('address.city')),
          postalCode: orNull(v('address.postalCode')),
          country: orNull(v('address.country')),
        },
        phone: orNull(v('phone')),
        website: orNull(v('website')),
        description: orNull(v('description')),
        companySize: orNull(v('companySize')) as (typeof COMPANY_SIZES)[number] | null,
        industry: orNull(v('industry')),
      };
    }
    const interests = v('programInterests')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return {
      partnerTypes: types.length === 0 ? null : (types as (typeof PARTNER_TYPES)[number][]),
      primaryContact: {
        name: orNull(v('primaryContact.name')),
        email: orNull(v('primaryContact.email')),
      },
      technicalContact: {
        name: orNull(v('technicalContact.name')),
        email: orNull(v('technicalContact.email')),
      },
      programInterests: interests.length === 0 ? null : [...new Set(interests)],
    };
  };

  const mutation = useMutation({
    mutationFn: async () =>
      ok(
        await api.PATCH('/api/v1/companies/{id}', {
          params: { path: { id: company.id } },
          body: { profile: body() },
        }),
      ),
    onSuccess: (saved) => client.setQueryData(companyKey(company.id), saved),
  });

  const save = async (): Promise<boolean> => {
    const keys = part === 'details' ? DETAILS_KEYS : CONNECT_KEYS;
    const missing: Errors = {};
    for (const key of keys) {
      if (REQUIRED.has(key) && v(key).trim() === '' && key !== 'partnerTypes') {
        missing[key] = 'This field is required.';
      }
    }
    if (part === 'connect' && types.length === 0) {
      missing.partnerTypes = 'Choose at least one partner type.';
    }
    setErrors(missing);
    setProblem(undefined);
    if (Object.keys(missing).length > 0) {
      return false;
    }
    try {
      await mutation.mutateAsync();
      return true;
    } catch (err) {
      const split = nestedErrors(problemOf(err), 'body.profile.', keys);
      setErrors(split.fields);
      setProblem(split.form);
      return false;
    }
  };

  const text = (
    key: string,
    label: string,
    extra: { hint?: string; type?: 'email' | 'url' | 'tel'; autoComplete?: string } = {},
  ) => (
    <TextField
      id={key}
      label={label}
      value={v(key)}
      onChange={set(key)}
      error={errors[key]}
      required={REQUIRED.has(key)}
      {...(extra.hint === undefined ? {} : { hint: extra.hint })}
      {...(extra.type === undefined ? {} : { type: extra.type })}
      {...(extra.autoComplete === undefined ? {} : { autoComplete: extra.autoComplete })}
    />
  );

  const fields =
    part === 'details' ? (
      <>
        {text('legalName', 'Legal name', { hint: 'The registered name of the company.' })}
        {text('address.street', 'Street address', { autoComplete: 'street-address' })}
        {text('address.city', 'City', { autoComplete: 'address-level2' })}
        {text('address.postalCode', 'Postal code', { autoComplete: 'postal-code' })}
        {text('address.country', 'Country', {
          hint: 'Two-letter country code, e.g. US or DE.',
          autoComplete: 'country',
        })}
        {text('phone', 'Phone', { type: 'tel', autoComplete: 'tel' })}
        {text('website', 'Web site', { type: 'url', hint: 'https://…' })}
        <TextAreaField
          id="description"
          label="Company description"
          value={v('description')}
          onChange={set('description')}
          error={errors.description}
          hint="What the company does."
          required
        />
        <SelectField
          id="companySize"
          label="Company size (employees)"
          value={v('companySize')}
          options={COMPANY_SIZES}
          onChange={set('companySize')}
          error={errors.companySize}
          required
        />
        {text('industry', 'Industry', { hint: 'e.g. Telecommunications.' })}
      </>
    ) : (
      <>
        <FormGroup
          label="Partner type (select all that apply)"
          isRequired
          role="group"
          fieldId="partnerTypes"
          isStack
        >
          {PARTNER_TYPES.map((type) => (
            <Checkbox
              key={type}
              id={`partnerType-${type.replace(/\W+/g, '-')}`}
              label={type}
              isChecked={types.includes(type)}
              onChange={(_e, on) =>
                setTypes((t) => (on ? [...t, type] : t.filter((x) => x !== type)))
              }
            />
          ))}
          <FieldHelp id="partnerTypes" error={errors.partnerTypes} />
        </FormGroup>
        {text('primaryContact.name', 'Primary contact name', { autoComplete: 'name' })}
        {text('primaryContact.email', 'Primary contact e-mail', { type: 'email' })}
        {text('technicalContact.name', 'Technical contact name')}
        {text('technicalContact.email', 'Technical contact e-mail', { type: 'email' })}
        {text('programInterests', 'Program interests', {
          hint: 'Separated by commas, e.g. OpenStack & NFV zone, Software access.',
        })}
      </>
    );

  return { fields, problem, pending: mutation.isPending, save };
}

/** The mandatory profile fields (the guide's "*"). */
const REQUIRED = new Set<string>([
  'legalName',
  'address.street',
  'address.city',
  'address.postalCode',
  'address.country',
  'phone',
  'website',
  'description',
  'companySize',
  'industry',
  'partnerTypes',
  'primaryContact.name',
  'primaryContact.email',
]);

const ME_KEYS = [
  'greeting',
  'firstName',
  'lastName',
  'suffix',
  'position',
  'department',
  'phone',
  'email',
] as const;
type MeKey = (typeof ME_KEYS)[number];
const ME_REQUIRED = new Set<MeKey>(['firstName', 'lastName', 'phone']);

/** My profile: names, position, department, phone (and the e-mail address when `withEmail`). */
export function useMyProfileForm(user: User, withEmail: boolean): StepForm {
  const client = useQueryClient();
  const [values, setValues] = useState<Record<MeKey, string>>(() => ({
    greeting: user.greeting ?? '',
    firstName: user.firstName,
    lastName: user.lastName,
    suffix: user.suffix ?? '',
    position: user.position ?? '',
    department: user.department ?? '',
    phone: user.phone ?? '',
    email: user.email,
  }));
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const set = (key: MeKey) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  const mutation = useMutation({
    mutationFn: async () =>
      ok(
        await api.PATCH('/api/v1/me', {
          body: {
            greeting: values.greeting.trim(),
            firstName: values.firstName.trim(),
            lastName: values.lastName.trim(),
            suffix: values.suffix.trim(),
            position: values.position.trim(),
            department: values.department.trim(),
            phone: values.phone.trim(),
            ...(withEmail ? { email: values.email.trim() } : {}),
          },
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData(['session'], saved);
      void client.invalidateQueries({ queryKey: ['companies'] });
    },
  });

  const save = async (): Promise<boolean> => {
    const missing: Errors = {};
    for (const key of ME_KEYS) {
      if ((ME_REQUIRED.has(key) || (withEmail && key === 'email')) && values[key].trim() === '') {
        missing[key] = 'This field is required.';
      }
    }
    setErrors(missing);
    setProblem(undefined);
    if (Object.keys(missing).length > 0) {
      return false;
    }
    try {
      await mutation.mutateAsync();
      return true;
    } catch (err) {
      const split = nestedErrors(problemOf(err), 'body.', ME_KEYS);
      setErrors(split.fields);
      setProblem(split.form);
      return false;
    }
  };

  const field = (key: MeKey, label: string, autoComplete: string, type?: 'email' | 'tel') => (
    <TextField
      id={`me-${key}`}
      label={label}
      value={values[key]}
      onChange={set(key)}
      error={errors[key]}
      required={ME_REQUIRED.has(key) || key === 'email'}
      autoComplete={autoComplete}
      {...(type === undefined ? {} : { type })}
    />
  );

  const fields = (
    <>
      {field('greeting', 'Greeting', 'honorific-prefix')}
      {field('firstName', 'First name', 'given-name')}
      {field('lastName', 'Last name', 'family-name')}
      {field('suffix', 'Suffix', 'honorific-suffix')}
      {field('position', 'Job title', 'organization-title')}
      {field('department', 'Department', 'off')}
      {field('phone', 'Phone', 'tel', 'tel')}
      {withEmail ? field('email', 'E-mail address', 'email', 'email') : null}
    </>
  );
  return { fields, problem, pending: mutation.isPending, save };
}
