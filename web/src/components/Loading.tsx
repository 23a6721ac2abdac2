/** The loading state of a screen or a section. */
import { Bullseye, Spinner } from '@patternfly/react-core';

/** A centred spinner with an accessible label. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Bullseye className="hm-loading">
      <Spinner aria-label={label} />
    </Bullseye>
  );
}
