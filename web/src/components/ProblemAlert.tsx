/** An API problem shown where it happened: its detail, and its code and request id for support. */
import { Alert } from '@patternfly/react-core';
import type { Problem } from '../api/client';

/** An inline danger alert for `problem`, or nothing. */
export function ProblemAlert({ problem, title }: { problem: Problem | undefined; title?: string }) {
  if (problem === undefined) {
    return null;
  }
  return (
    <Alert variant="danger" isInline title={title ?? problem.detail ?? problem.title} role="alert">
      {title === undefined ? null : <p>{problem.detail ?? problem.title}</p>}
      <p className="hm-problem-code">
        {problem.code}
        {problem.requestId === undefined ? '' : ` · request ${problem.requestId}`}
      </p>
    </Alert>
  );
}
