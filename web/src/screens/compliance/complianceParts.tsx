/** What the export compliance screens share: status labels. */
import { Label } from '@patternfly/react-core';

/** A questionnaire's status as a label. */
export function StatusLabel({ status, overdue }: { status: string; overdue?: boolean }) {
  const label =
    status === 'submitted' ? (
      <Label color="blue">Submitted</Label>
    ) : status === 'approved' ? (
      <Label color="green">Approved</Label>
    ) : status === 'deferred' ? (
      <Label color="orange">Deferred</Label>
    ) : status === 'information_requested' ? (
      <Label color="orange">Information requested</Label>
    ) : (
      <Label color="red">Declined</Label>
    );
  return overdue === true ? (
    <>
      {label} <Label color="red">Overdue</Label>
    </>
  ) : (
    label
  );
}
