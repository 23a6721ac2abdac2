/**
 * What an image's current Container Health Index grade comes from: the Critical and Important
 * security errata it lacks today (`GET /images/{id}/grades`, regraded as advisories appear and
 * time passes, without a new scan), the day the grade falls next, and how to fix it — what the
 * grade-drop e-mail says, on the page it links.
 */
import { Stack } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok, problemOf } from '../api/client';
import type { paths } from '../api/schema';
import { formatDate } from '../format';
import { CopyCommand } from './CopyCommand';
import { ErrataTable } from './ErrataTable';
import { Loading } from './Loading';
import { ProblemAlert } from './ProblemAlert';

/** The fix the grade-drop e-mail gives (src/modules/health/package-sets.ts `mailDrops`). */
const FIX_COMMAND =
  'RUN yum -y update-minimal --security --sec-severity=Important --sec-severity=Critical';

/** `GET /images/{id}/grades`: the current grade, its next drop date, errata and history. */
type Grades =
  paths['/api/v1/images/{id}/grades']['get']['responses'][200]['content']['application/json'];

/**
 * The errata behind the current grade of image `imageId`. `scannedAt` is part of the query key:
 * a finished rescan grades the image again.
 */
export function GradeErrata({ imageId, scannedAt }: { imageId: string; scannedAt: string | null }) {
  const [now] = useState(() => Date.now());
  const grades = useQuery({
    queryKey: ['image', imageId, 'grades', scannedAt],
    queryFn: async () =>
      ok(await api.GET('/api/v1/images/{id}/grades', { params: { path: { id: imageId } } })),
  });
  if (grades.isLoading) {
    return <Loading label="Loading the current grade" />;
  }
  if (grades.isError) {
    return (
      <ProblemAlert
        problem={problemOf(grades.error)}
        title="The current grade could not be loaded"
      />
    );
  }
  if (grades.data === undefined) {
    return null;
  }
  const { missing } = grades.data;
  return (
    <Stack hasGutter>
      <p>{explanation(grades.data)}</p>
      {missing.length === 0 ? null : (
        <ErrataTable errata={missing} label="Security errata missing now" now={now} />
      )}
      <NextDrop grades={grades.data} />
      {missing.length === 0 ? null : (
        <CopyCommand
          label="How to fix it: rebuild the image so it carries the fixes, for example with this line in its Dockerfile (or on the latest base image), then push the new build and publish it."
          command={FIX_COMMAND}
        />
      )}
    </Stack>
  );
}

/** Why the image has its grade, in a sentence. */
function explanation({ grade, missing, history }: Grades): string {
  if (grade === null) {
    return 'This image has not been graded yet: it is graded when a scan finishes with vulnerability data on the server.';
  }
  if (grade === 'Unknown') {
    return 'The grade is Unknown: Hallmark cannot tell which errata apply to this image (it has no rpm database, or no release Hallmark knows).';
  }
  const current = history.at(-1);
  const since = current !== undefined && current.end === null && current.grade === grade;
  const is = since ? `has been ${grade} since ${formatDate(current.start)}` : `is ${grade}`;
  if (missing.length > 0) {
    return `The grade ${is} because the image lacks ${errataCount(missing)}. The grade counts how long ago the oldest missing erratum of each severity was released; Moderate and Low errata never lower it.`;
  }
  if (grade === 'F') {
    return `The grade ${is} although no Critical or Important errata are missing: the image's release is past the end of its lifecycle. Rebuild it on a supported release.`;
  }
  return `The grade ${is}: no Critical or Important security errata are missing.`;
}

/** "this Important erratum", "these 3 Critical and Important errata". */
function errataCount(missing: Grades['missing']): string {
  const severities = ['Critical', 'Important'].filter((s) => missing.some((v) => v.severity === s));
  const kind = severities.length === 0 ? 'security' : severities.join(' and ');
  return missing.length === 1 ? `this ${kind} erratum` : `these ${missing.length} ${kind} errata`;
}

/** When the grade falls next if nothing changes. */
function NextDrop({ grades }: { grades: Grades }) {
  const { grade, nextDropDate, missing } = grades;
  if (nextDropDate !== null) {
    return (
      <p>
        <strong>Next grade drop:</strong> {formatDate(nextDropDate)}, if nothing changes.
      </p>
    );
  }
  if (grade === 'F' && missing.length > 0) {
    return (
      <p>
        <strong>Next grade drop:</strong> none, F is the lowest grade.
      </p>
    );
  }
  return null;
}
