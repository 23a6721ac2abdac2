/**
 * A questionnaire: its status, target date and answers, the conversation with staff, and the
 * open follow-up questions to answer (org admins). Staff decide here too: approve, defer, ask
 * for more information (with questions) or decline. The questionnaire e-mails link here.
 */
import {
  ActionGroup,
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  PageSection,
  TextArea,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import type { paths } from '../../api/schema';
import { FieldHelp } from '../../components/FieldError';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import '../partner.css';
import { StatusLabel } from './complianceParts';

type Questionnaire =
  paths['/api/v1/export-compliance/{id}']['get']['responses'][200]['content']['application/json'];
type Decision = 'approve' | 'defer' | 'request_information' | 'decline';

/** The questionnaire screen. */
export default function QuestionnairePage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <Screen id={id} user={user} />}</RequireSession>;
}

function Screen({ id, user }: { id: string; user: User }) {
  const query = useQuery({
    queryKey: ['export-compliance', id],
    queryFn: async () =>
      ok(await api.GET('/api/v1/export-compliance/{id}', { params: { path: { id } } })),
  });
  if (query.isLoading) {
    return <Loading label="Loading the questionnaire" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    if (problem.status === 404 || problem.status === 400) {
      return (
        <NotFound
          title="Questionnaire not found"
          detail="There is no questionnaire at this address."
        />
      );
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The questionnaire could not be loaded" />
      </PageSection>
    );
  }
  if (query.data === undefined) {
    return null;
  }
  const q = query.data;
  return (
    <>
      <PageSection>
        <LinkButton variant="link" isInline to={user.staff ? '/staff' : '/export-compliance'}>
          {user.staff ? 'Work queue' : 'All questionnaires'}
        </LinkButton>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Export compliance questionnaire
        </Title>
        <DescriptionList isHorizontal isCompact>
          <DescriptionListGroup>
            <DescriptionListTerm>Status</DescriptionListTerm>
            <DescriptionListDescription>
              <StatusLabel status={q.status} overdue={q.overdue} />
            </DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Submitted</DescriptionListTerm>
            <DescriptionListDescription>{formatDate(q.submittedAt)}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Target date</DescriptionListTerm>
            <DescriptionListDescription>{formatDate(q.dueAt)}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Decided</DescriptionListTerm>
            <DescriptionListDescription>{formatDate(q.decidedAt)}</DescriptionListDescription>
          </DescriptionListGroup>
        </DescriptionList>
      </PageSection>
      {q.openQuestions.length > 0 && user.orgAdmin && user.companyId === q.companyId ? (
        <AnswerQuestions q={q} />
      ) : null}
      <Conversation q={q} />
      {user.staff ? <DecisionForm q={q} /> : null}
      <Answers q={q} />
    </>
  );
}

function AnswerQuestions({ q }: { q: Questionnaire }) {
  const client = useQueryClient();
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const send = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/export-compliance/{id}/answers', {
          params: { path: { id: q.id } },
          body: {
            answers: q.openQuestions
              .filter((m) => (answers[m.id] ?? '').trim() !== '')
              .map((m) => ({ questionId: m.id, answer: (answers[m.id] ?? '').trim() })),
          },
        }),
      ),
    onSuccess: (data) => {
      setAnswers({});
      client.setQueryData(['export-compliance', q.id], data);
      void client.invalidateQueries({ queryKey: ['export-compliance'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (q.openQuestions.every((m) => (answers[m.id] ?? '').trim() === '')) {
      setError('Answer at least one question.');
      return;
    }
    setError(undefined);
    send.mutate();
  };
  return (
    <PageSection aria-labelledby="questions-title">
      <Title headingLevel="h2" id="questions-title" className="hm-title">
        Follow-up questions
      </Title>
      <Form
        onSubmit={submit}
        noValidate
        aria-label="Answer the follow-up questions"
        className="hm-partner-form"
      >
        {q.openQuestions.map((m, i) => (
          <FormGroup key={m.id} label={`Question ${i + 1}`} fieldId={`answer-${m.id}`}>
            <p id={`question-${m.id}`} className="hm-partner-text">
              {m.body}
            </p>
            <TextArea
              id={`answer-${m.id}`}
              aria-describedby={`question-${m.id} answers-help`}
              value={answers[m.id] ?? ''}
              onChange={(_e, x) => setAnswers({ ...answers, [m.id]: x })}
            />
          </FormGroup>
        ))}
        <FieldHelp id="answers" error={error} />
        <ProblemAlert problem={send.isError ? problemOf(send.error) : undefined} />
        <ActionGroup>
          <Button
            type="submit"
            variant="primary"
            isLoading={send.isPending}
            isDisabled={send.isPending}
          >
            Send the answers
          </Button>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}

const KIND = { question: 'Question from staff', answer: 'Answer', decision: 'Decision' } as const;

function Conversation({ q }: { q: Questionnaire }) {
  if (q.messages.length === 0) {
    return null;
  }
  return (
    <PageSection aria-labelledby="messages-title">
      <Title headingLevel="h2" id="messages-title" className="hm-title">
        Questions and answers
      </Title>
      {q.messages.map((m) => (
        <div key={m.id} className="hm-partner-message">
          <p>
            <strong>{KIND[m.kind]}</strong> · {formatDate(m.createdAt)}
          </p>
          <p className="hm-partner-text">{m.body}</p>
        </div>
      ))}
    </PageSection>
  );
}

function DecisionForm({ q }: { q: Questionnaire }) {
  const client = useQueryClient();
  const [decision, setDecision] = useState<Decision>('approve');
  const [note, setNote] = useState('');
  const [questions, setQuestions] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const decide = useMutation({
    mutationFn: async () => {
      const asked = questions
        .split('\n')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return ok(
        await api.POST('/api/v1/export-compliance/{id}/decision', {
          params: { path: { id: q.id } },
          body: {
            decision,
            ...(note.trim() === '' ? {} : { note: note.trim() }),
            ...(decision === 'request_information' ? { questions: asked } : {}),
          },
        }),
      );
    },
    onSuccess: (data) => {
      setNote('');
      setQuestions('');
      client.setQueryData(['export-compliance', q.id], data);
      void client.invalidateQueries({ queryKey: ['export-compliance'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (decision === 'request_information' && questions.trim() === '') {
      setError('Ask at least one question, one a line.');
      return;
    }
    setError(undefined);
    decide.mutate();
  };
  return (
    <PageSection aria-labelledby="decision-title">
      <Title headingLevel="h2" id="decision-title" className="hm-title">
        Decision (staff)
      </Title>
      <Form
        onSubmit={submit}
        noValidate
        aria-label="Decide on the questionnaire"
        className="hm-partner-form"
      >
        <FormGroup label="Decision" fieldId="decision" isRequired>
          <FormSelect
            id="decision"
            value={decision}
            onChange={(_e, x) => setDecision(x as Decision)}
          >
            <FormSelectOption value="approve" label="Approve" />
            <FormSelectOption value="defer" label="Defer" />
            <FormSelectOption value="request_information" label="Request more information" />
            <FormSelectOption value="decline" label="Decline" />
          </FormSelect>
        </FormGroup>
        {decision === 'request_information' ? (
          <FormGroup label="Questions" fieldId="questions" isRequired>
            <TextArea
              id="questions"
              value={questions}
              onChange={(_e, x) => setQuestions(x)}
              aria-describedby="questions-help"
              validated={error === undefined ? 'default' : 'error'}
            />
            <FieldHelp id="questions" error={error} hint="One question a line." />
          </FormGroup>
        ) : null}
        <FormGroup label="Note to the partner" fieldId="note">
          <TextArea id="note" value={note} onChange={(_e, x) => setNote(x)} />
        </FormGroup>
        <ProblemAlert problem={decide.isError ? problemOf(decide.error) : undefined} />
        <ActionGroup>
          <Button
            type="submit"
            variant="primary"
            isLoading={decide.isPending}
            isDisabled={decide.isPending}
          >
            Record the decision
          </Button>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}

/** The submitted answers, as a definition list of their JSON fields. */
function Answers({ q }: { q: Questionnaire }) {
  const rows = flatten(q.answers, '');
  return (
    <PageSection aria-labelledby="answers-title">
      <Title headingLevel="h2" id="answers-title" className="hm-title">
        Answers
      </Title>
      <DescriptionList isHorizontal isCompact className="hm-partner-wrap">
        {rows.map(([k, v]) => (
          <DescriptionListGroup key={k}>
            <DescriptionListTerm>{k}</DescriptionListTerm>
            <DescriptionListDescription className="hm-partner-text">{v}</DescriptionListDescription>
          </DescriptionListGroup>
        ))}
      </DescriptionList>
    </PageSection>
  );
}

const LABELS: Record<string, string> = {
  containsCryptography: 'Contains cryptography',
  'cryptography.functions': 'What the cryptography does',
  'cryptography.algorithms': 'Algorithms',
  'cryptography.keyLengths': 'Key lengths',
  'cryptography.usesOperatingSystemCryptoOnly': 'Only the operating system’s cryptography',
  massMarket: 'Mass-market item',
  licenseExceptionEnc: 'License Exception ENC',
  eccn: 'ECCN',
  ccats: 'CCATS',
  countriesOfDevelopment: 'Countries of development',
  'legalRepresentative.name': 'Legal representative',
  'legalRepresentative.title': 'Their title',
  'legalRepresentative.email': 'Their e-mail address',
  'legalRepresentative.phone': 'Their phone',
  additionalInformation: 'Additional information',
};

function flatten(value: unknown, prefix: string): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      flatten(v, prefix === '' ? k : `${prefix}.${k}`),
    );
  }
  const text = Array.isArray(value)
    ? value.join(', ')
    : typeof value === 'boolean'
      ? value
        ? 'Yes'
        : 'No'
      : String(value);
  return [[LABELS[prefix] ?? prefix, text]];
}
