/** Staff: one outgoing e-mail with its text (shown as plain text), and retry when it failed. */
import {
  Alert,
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, done, ok, problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './staff.css';

/** The mail screen. */
export default function MailPage() {
  const { id = '' } = useParams();
  return <RequireSession staff>{() => <Mail id={id} />}</RequireSession>;
}

function Mail({ id }: { id: string }) {
  const client = useQueryClient();
  const key = ['staff', 'mail', 'one', id];
  const query = useQuery({
    queryKey: key,
    queryFn: async () => ok(await api.GET('/api/v1/mail/{id}', { params: { path: { id } } })),
  });
  const retry = useMutation({
    mutationFn: async () =>
      done(await api.POST('/api/v1/mail/{id}/retry', { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['staff', 'mail'] }),
  });
  if (query.isPending) {
    return <Loading label="Loading the e-mail" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    return problem.status === 404 || problem.status === 400 ? (
      <NotFound />
    ) : (
      <PageSection>
        <ProblemAlert problem={problem} />
      </PageSection>
    );
  }
  const m = query.data;
  const rows: [string, string][] = [
    ['To', m.to.join(', ')],
    ['Status', m.status],
    ['Template', m.template],
    ['Attempts', String(m.attempts)],
    ['Created', formatDate(m.createdAt)],
    ['Sent', formatDate(m.sentAt)],
  ];
  return (
    <PageSection>
      <p>
        <Link to="/staff/mail">Outbox</Link>
      </p>
      <Title headingLevel="h1" size="2xl" className="hm-title hm-staff-wrap">
        {m.subject}
      </Title>
      <DescriptionList isHorizontal className="hm-staff-wrap">
        {rows.map(([term, value]) => (
          <DescriptionListGroup key={term}>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription>{value}</DescriptionListDescription>
          </DescriptionListGroup>
        ))}
      </DescriptionList>
      {m.lastError !== null ? (
        <Alert variant="danger" isInline title="Last error" className="hm-staff-wrap">
          {m.lastError}
        </Alert>
      ) : null}
      {retry.isSuccess ? (
        <Alert variant="success" isInline title="Queued to be sent again" />
      ) : null}
      {retry.isError ? <ProblemAlert problem={problemOf(retry.error)} /> : null}
      {m.status === 'failed' && !retry.isSuccess ? (
        <Button isDisabled={retry.isPending} onClick={() => retry.mutate()}>
          Retry
        </Button>
      ) : null}
      <Title headingLevel="h2">Text</Title>
      <pre className="hm-staff-mailtext">{m.text}</pre>
    </PageSection>
  );
}
