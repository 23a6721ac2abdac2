/**
 * A PatternFly button that is a real link (`href`, so it opens in a new tab as users expect) and
 * navigates inside the UI on a plain click.
 */
import { Button, type ButtonProps } from '@patternfly/react-core';
import type { MouseEvent } from 'react';
import { useNavigate } from 'react-router-dom';

/** Whether a click is a plain one (no modifier, main button): the UI handles it. */
export function isPlainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/** A button-styled link to `to`, a path of this UI. */
export function LinkButton({
  to,
  ...props
}: { to: string } & Omit<ButtonProps, 'component' | 'href'>) {
  const navigate = useNavigate();
  return (
    <Button
      {...props}
      component="a"
      href={to}
      onClick={(event: MouseEvent) => {
        if (isPlainClick(event)) {
          event.preventDefault();
          void navigate(to);
        }
      }}
    />
  );
}
