/** A build's phases as steps, each with its duration, and the running one's time so far. */
import { ProgressStep, ProgressStepper } from '@patternfly/react-core';
import { useEffect, useState } from 'react';
import { formatSeconds, formatTime, isFinal, PHASES, STATUS_LABELS, type Build } from './builds';

/**
 * The phases as steps with their durations: a phase that ended has one (the one a build stopped
 * in too); the running one is current, with the time since it began, counted every second.
 */
export function BuildPhases({ build }: { build: Build }) {
  const reached = PHASES.map(([key]) => build.durations[key] !== null);
  const stoppedIn = reached.lastIndexOf(true);
  const failed = isFinal(build.status) && build.status !== 'passed';
  const now = useNow(!isFinal(build.status));
  return (
    <ProgressStepper isVertical className="pf-m-horizontal-on-lg" aria-label="Build phases">
      {PHASES.map(([key, title], i) => {
        const running = build.status === key;
        const since = build.phaseStartedAt[key];
        const variant = running
          ? 'info'
          : failed && i === stoppedIn
            ? 'danger'
            : reached[i] === true
              ? 'success'
              : 'pending';
        const said = running
          ? `In progress, ${formatSeconds(elapsed(since, now))}`
          : reached[i] === true
            ? formatSeconds(build.durations[key])
            : 'Not reached';
        return (
          <ProgressStep
            key={key}
            id={`phase-${key}`}
            titleId={`phase-${key}-title`}
            variant={variant}
            isCurrent={running}
            description={
              since === null ? (
                said
              ) : (
                <span title={`Began ${formatTime(since)}`} data-testid={`phase-${key}-time`}>
                  {said}
                </span>
              )
            }
            aria-label={`${title}: ${said}`}
          >
            {title}
          </ProgressStep>
        );
      })}
      <ProgressStep
        id="phase-result"
        titleId="phase-result-title"
        variant={
          build.status === 'passed' ? 'success' : isFinal(build.status) ? 'danger' : 'pending'
        }
        description={isFinal(build.status) ? `Total ${formatSeconds(build.durations.total)}` : ''}
        aria-label={`Result: ${STATUS_LABELS[build.status].text}`}
      >
        {isFinal(build.status) ? STATUS_LABELS[build.status].text : 'Result'}
      </ProgressStep>
    </ProgressStepper>
  );
}

/**
 * Seconds from `since` to `now`; never negative, as the browser's clock may be a little behind
 * the server's.
 */
function elapsed(since: string | null, now: number): number | null {
  const began = since === null ? NaN : Date.parse(since);
  return Number.isNaN(began) ? null : Math.max(0, (now - began) / 1000);
}

/** The time now, renewed every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) {
      return undefined;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
