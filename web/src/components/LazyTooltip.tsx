/**
 * A tooltip that costs nothing until it is first wanted. PatternFly's `Tooltip` mounts a popper
 * beside its trigger that reads the page's computed styles as it mounts (a forced style
 * recalculation): a table whose 20 rows each had a disabled button with its reason as a tooltip
 * spent about 170 ms on them before the first paint. This one mounts PatternFly's tooltip only when
 * the pointer or the focus first reaches its trigger, and then shows and hides it itself.
 */
import { Tooltip } from '@patternfly/react-core';
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

interface LazyTooltipProps {
  content: string;
  /** The trigger, given the id of an element holding `content` for its `aria-describedby`. */
  children: (reasonId: string) => ReactNode;
}

export function LazyTooltip({ content, children }: LazyTooltipProps) {
  const reasonId = useId();
  const trigger = useRef<HTMLSpanElement>(null);
  // undefined: never wanted yet, so no tooltip is mounted.
  const [shown, setShown] = useState<boolean | undefined>(undefined);
  const show = () => setShown(true);
  const hide = () => setShown((s) => (s === undefined ? s : false));
  const escape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      hide();
    }
  };
  return (
    <>
      <span
        ref={trigger}
        className="hm-inline"
        onMouseEnter={show}
        onMouseLeave={hide}
        onFocus={show}
        onBlur={hide}
        onKeyDown={escape}
      >
        {children(reasonId)}
        <span id={reasonId} hidden>
          {content}
        </span>
      </span>
      {shown === undefined ? null : (
        <Tooltip
          content={content}
          triggerRef={trigger}
          trigger="manual"
          isVisible={shown}
          aria="none"
        />
      )}
    </>
  );
}
