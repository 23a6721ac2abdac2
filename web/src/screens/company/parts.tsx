/**
 * Pieces the company screens share: the company query, nested field errors from a problem, text
 * areas and selects labelled like `TextField`, the not-found state of a company.
 */
import {
  FormGroup,
  FormSelect,
  FormSelectOption,
  TextArea,
  type FormSelectProps,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { api, ok, type Problem } from '../../api/client';
import type { paths } from '../../api/schema';
import { FieldHelp } from '../../components/FieldError';
import { NotFound } from '../../components/NotFound';

/** A company as its members see it (profile, completeness, steps, logo). */
export type Company =
  paths['/api/v1/companies/{id}']['get']['responses'][200]['content']['application/json'];

/** The query key of a company. */
export const companyKey = (id: string) => ['companies', id] as const;

/** The company `id` (its members and staff; others get 403/404). */
export function useCompany(id: string) {
  return useQuery({
    queryKey: companyKey(id),
    queryFn: async () => ok(await api.GET('/api/v1/companies/{id}', { params: { path: { id } } })),
  });
}

/** Whether a problem means "not yours or not there": both read as not found. */
export function isNotFound(problem: Problem): boolean {
  return problem.status === 404 || problem.status === 403;
}

/** The not-found state of a company the user cannot see. */
export function CompanyNotFound() {
  return (
    <NotFound
      title="Company not found"
      detail="There is no company at this address, or you are not one of its users."
    />
  );
}

/**
 * Field messages of a problem whose paths start with `prefix` (e.g. `body.profile.`), keyed by the
 * rest of the path (`address.city`); `form` is the problem when some error has no known field.
 */
export function nestedErrors(
  problem: Problem,
  prefix: string,
  known: readonly string[],
): { fields: Record<string, string>; form: Problem | undefined } {
  const fields: Record<string, string> = {};
  let unplaced = (problem.errors ?? []).length === 0;
  for (const { path, message } of problem.errors ?? []) {
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
    const name = known.find((k) => rest === k || rest.startsWith(`${k}.`));
    if (name === undefined) {
      unplaced = true;
    } else {
      fields[name] ??= message;
    }
  }
  return { fields, form: unplaced ? problem : undefined };
}

/** A labelled text area with its hint or error. */
export function TextAreaField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  required = false,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  required?: boolean;
}) {
  return (
    <FormGroup label={label} isRequired={required} fieldId={id}>
      <TextArea
        id={id}
        name={id}
        value={value}
        onChange={(_e, v) => onChange(v)}
        resizeOrientation="vertical"
        validated={error === undefined ? 'default' : 'error'}
        aria-describedby={`${id}-help`}
        isRequired={required}
      />
      <FieldHelp id={id} error={error} {...(hint === undefined ? {} : { hint })} />
    </FormGroup>
  );
}

/** A labelled select of `options` (an empty first option when nothing is chosen yet). */
export function SelectField({
  id,
  label,
  value,
  options,
  onChange,
  error,
  required = false,
  emptyLabel = 'Choose…',
}: {
  id: string;
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  error?: string | undefined;
  required?: boolean;
  emptyLabel?: string;
} & Pick<FormSelectProps, 'isDisabled'>) {
  return (
    <FormGroup label={label} isRequired={required} fieldId={id}>
      <FormSelect
        id={id}
        name={id}
        value={value}
        onChange={(_e, v) => onChange(v)}
        validated={error === undefined ? 'default' : 'error'}
        aria-describedby={`${id}-help`}
        isRequired={required}
      >
        <FormSelectOption value="" label={emptyLabel} isPlaceholder />
        {options.map((o) => (
          <FormSelectOption key={o} value={o} label={o} />
        ))}
      </FormSelect>
      <FieldHelp id={id} error={error} />
    </FormGroup>
  );
}

/** A form value as the API takes it: trimmed, or null to clear the field. */
export function orNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
