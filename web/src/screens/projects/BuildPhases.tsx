/** A build's phases as steps, each with its duration. */
import { ProgressStep, ProgressStepper } from '@patternfly/react-core';
import { formatSeconds, isFinal, PHASES, STATUS_LABELS, type Build } from './builds';

/**
 * The phases as steps with their durations: a phase that ended has one (the one a build stopped
 * in too); the running one is current.
 */
export function BuildPhases({ build }: { build: Build }) {
  const reached = PHASES.map(([key]) => build.durations[key] !== null);
  const stoppedIn = reached.lastIndexOf(true);
  const failed = isFinal(build.status) && build.status !== 'passed';
  return (
    <ProgressStepper isVertical className="pf-m-horizontal-on-lg" aria-label="Build phases">
      {PHASES.map(([key, title], i) => {
        const running = build.status === key;
        const variant = running
          ? 'info'
          : failed && i === stoppedIn
            ? 'danger'
            : reached[i] === true
              ? 'success'
              : 'pending';
        const said = running
          ? 'In progress'
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
            description={said}
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
