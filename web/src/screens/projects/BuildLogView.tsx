/**
 * A build's log, live: the text in a scrollable <pre> that follows the end while the reader is
 * at the end, and stays put once they scroll up to read (with a button back to the end). Screen
 * readers are not interrupted by every line (`aria-live="off"`); the stream's state is said once
 * per change beside it.
 */
import { Button, Flex } from '@patternfly/react-core';
import { useLayoutEffect, useRef, useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useBuildLog, type LogState } from './useBuildLog';
import { TextLabel } from '../../components/TextLabel';

/** How close to the end (px) still counts as "at the end". */
const STICKY_PX = 32;

const STATES: Record<LogState, { text: string; color: 'blue' | 'green' | 'orange' | 'red' }> = {
  connecting: { text: 'Connecting', color: 'blue' },
  streaming: { text: 'Live', color: 'blue' },
  reconnecting: { text: 'Connection lost: reconnecting', color: 'orange' },
  ended: { text: 'Complete', color: 'green' },
  failed: { text: 'Unavailable', color: 'red' },
};

/** The log of build `buildId`, followed until the build ends. */
export function BuildLogView({ buildId }: { buildId: string }) {
  const log = useBuildLog(buildId);
  const pre = useRef<HTMLPreElement>(null);
  // Whether to keep the end in view: true until the reader scrolls up.
  const [sticky, setSticky] = useState(true);
  useLayoutEffect(() => {
    const el = pre.current;
    if (el !== null && sticky) {
      el.scrollTop = el.scrollHeight;
    }
  }, [log.text, sticky]);
  const onScroll = () => {
    const el = pre.current;
    if (el !== null) {
      setSticky(el.scrollHeight - el.scrollTop - el.clientHeight <= STICKY_PX);
    }
  };
  const state = STATES[log.state];
  return (
    <div className="hm-build-log">
      <Flex
        alignItems={{ default: 'alignItemsCenter' }}
        gap={{ default: 'gapSm' }}
        className="hm-build-log-bar"
      >
        <span role="status" data-testid="log-state">
          <TextLabel color={state.color} isCompact>
            {state.text}
          </TextLabel>
        </span>
        {sticky || log.state === 'ended' ? null : (
          <Button variant="link" isInline onClick={() => setSticky(true)}>
            Follow the end of the log
          </Button>
        )}
      </Flex>
      <ProblemAlert problem={log.problem} title="The log could not be read" />
      <pre
        ref={pre}
        className="hm-build-log-text"
        role="log"
        aria-live="off"
        aria-label="Build log"
        tabIndex={0}
        onScroll={onScroll}
      >
        {log.text !== ''
          ? log.text
          : log.state === 'ended'
            ? 'The log is empty.'
            : 'Waiting for the first lines…'}
      </pre>
    </div>
  );
}
