/** A labelled command with a copy button (registry logins, pushes). */
import { ClipboardCopy } from '@patternfly/react-core';

/** `command` in a read-only ClipboardCopy, introduced by `label`. */
export function CopyCommand({ label, command }: { label: string; command: string }) {
  return (
    <div>
      <p>{label}</p>
      <ClipboardCopy isReadOnly isCode hoverTip="Copy" clickTip="Copied" textAriaLabel={label}>
        {command}
      </ClipboardCopy>
    </div>
  );
}
