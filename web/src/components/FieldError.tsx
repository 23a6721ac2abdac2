/** The helper text under a form field: its hint, or its error when there is one. */
import { FormHelperText, HelperText, HelperTextItem } from '@patternfly/react-core';

/** Shows `error` (id `${id}-error`, for aria-describedby) or else `hint`. */
export function FieldHelp({
  id,
  error,
  hint,
}: {
  id: string;
  error?: string | undefined;
  hint?: string;
}) {
  if (error === undefined && hint === undefined) {
    return null;
  }
  return (
    <FormHelperText>
      <HelperText id={`${id}-help`}>
        {error === undefined ? (
          <HelperTextItem>{hint}</HelperTextItem>
        ) : (
          <HelperTextItem variant="error" id={`${id}-error`}>
            {error}
          </HelperTextItem>
        )}
      </HelperText>
    </FormHelperText>
  );
}
