/** Where a problem belongs on a form: each field's message, and what concerns no one field. */
import type { Problem } from './client';

/** A form's messages from a problem: `fields[name]` beside the field, `form` above the actions. */
export interface FormErrors<F extends string> {
  readonly fields: Partial<Record<F, string>>;
  readonly form: Problem | undefined;
}

/** No errors. */
export const NO_ERRORS: FormErrors<never> = { fields: {}, form: undefined };

/**
 * Splits a problem into field messages: `request.invalid` lists its fields; a code named in
 * `byCode` (`account.login_taken` → `login`) concerns one field; anything else the form.
 */
export function formErrors<F extends string>(
  problem: Problem,
  fieldNames: readonly F[],
  byCode: Readonly<Record<string, F>> = {},
): FormErrors<F> {
  const fields: Partial<Record<F, string>> = {};
  const known = (name: string): name is F => (fieldNames as readonly string[]).includes(name);
  let unplaced = false;
  for (const { path, message } of problem.errors ?? []) {
    const name = path.replace(/^body\./, '').split('.')[0] ?? '';
    if (known(name)) {
      fields[name] ??= message;
    } else {
      unplaced = true;
    }
  }
  const field = byCode[problem.code];
  if (field !== undefined) {
    fields[field] = problem.detail ?? problem.title;
  }
  const placed = Object.keys(fields).length > 0 && !unplaced;
  return { fields, form: placed ? undefined : problem };
}
