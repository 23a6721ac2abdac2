/** What the export compliance screens share: status labels. */
import { TextLabel } from '../../components/TextLabel';

/** A questionnaire's status as a label. */
export function StatusLabel({ status, overdue }: { status: string; overdue?: boolean }) {
  const label =
    status === 'submitted' ? (
      <TextLabel color="blue">Submitted</TextLabel>
    ) : status === 'approved' ? (
      <TextLabel color="green">Approved</TextLabel>
    ) : status === 'deferred' ? (
      <TextLabel color="orange">Deferred</TextLabel>
    ) : status === 'information_requested' ? (
      <TextLabel color="orange">Information requested</TextLabel>
    ) : (
      <TextLabel color="red">Declined</TextLabel>
    );
  return overdue === true ? (
    <>
      {label} <TextLabel color="red">Overdue</TextLabel>
    </>
  ) : (
    label
  );
}
