/**
 * The current user's API tokens (for scripts, CI and `skopeo login`): create one — its secret is
 * shown once — list them and revoke them. Logged-out visitors are sent to log in first.
 */
import {
  ActionGroup,
  Alert,
  Button,
  ClipboardCopy,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate } from 'react-router-dom';
import { api, done, ok, problemOf, type Problem } from '../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../api/problems';
import { SubmitButton, TextField } from '../components/FormParts';
import { Loading } from '../components/Loading';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatDate } from '../format';
import { useSession } from '../session';

type Field = 'name' | 'expiresInDays';
const FIELDS: readonly Field[] = ['name', 'expiresInDays'];
const TOKENS_KEY = ['me', 'tokens'] as const;
/** The lifetimes offered; the API takes 1 to 3650 days, or none. */
const LIFETIMES = [
  { days: '', label: 'Never expires' },
  { days: '30', label: '30 days' },
  { days: '90', label: '90 days' },
  { days: '365', label: 'One year' },
] as const;

/** The API tokens screen. */
export default function TokensPage() {
  const { user, isLoading } = useSession();
  if (isLoading) {
    return <Loading label="Loading your session" />;
  }
  if (user === null || user === undefined) {
    return <Navigate to="/login?next=/tokens" replace />;
  }
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          API tokens
        </Title>
        <p>
          A token acts as you from scripts and CI, and logs registry clients in (any user name, the
          token as password). Revoke a token as soon as it is not needed.
        </p>
      </PageSection>
      <CreateToken />
      <TokenList />
    </>
  );
}

/** The form that creates a token, then shows its secret once. */
function CreateToken() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [lifetime, setLifetime] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const mutation = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/me/tokens', {
          body: {
            name: name.trim(),
            ...(lifetime === '' ? {} : { expiresInDays: Number(lifetime) }),
          },
        }),
      ),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: TOKENS_KEY });
    },
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS)),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') {
      setErrors({
        fields: { name: 'Name the token, e.g. after the script that uses it.' },
        form: undefined,
      });
      return;
    }
    setErrors(NO_ERRORS);
    mutation.mutate();
  };

  return (
    <PageSection aria-labelledby="create-title">
      <Title headingLevel="h2" id="create-title" className="hm-title">
        Create a token
      </Title>
      {mutation.isSuccess ? (
        <Alert
          variant="success"
          isInline
          title="Copy the token now: it is shown only once"
          className="hm-token-created"
        >
          <ClipboardCopy
            isReadOnly
            isCode
            hoverTip="Copy the token"
            clickTip="Copied"
            textAriaLabel="New API token"
            toggleAriaLabel="Show the token"
          >
            {mutation.data.token}
          </ClipboardCopy>
        </Alert>
      ) : null}
      <Form onSubmit={submit} noValidate aria-label="Create a token" className="hm-narrow">
        <TextField
          id="name"
          label="Name"
          value={name}
          onChange={setName}
          error={errors.fields.name}
          hint="What the token is for, so you know which one to revoke."
        />
        <FormGroup label="Expires" fieldId="expiresInDays">
          <FormSelect id="expiresInDays" value={lifetime} onChange={(_e, v) => setLifetime(v)}>
            {LIFETIMES.map((l) => (
              <FormSelectOption key={l.days} value={l.days} label={l.label} />
            ))}
          </FormSelect>
        </FormGroup>
        <ProblemAlert problem={errors.form} />
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>Create the token</SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}

/** The user's tokens, newest first, each with a Revoke action behind a confirmation. */
function TokenList() {
  const client = useQueryClient();
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | undefined>(undefined);
  const [revokeProblem, setRevokeProblem] = useState<Problem | undefined>(undefined);
  const query = useQuery({
    queryKey: [...TOKENS_KEY, cursor],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/me/tokens', {
          params: { query: { pageSize: 100, ...(cursor === undefined ? {} : { cursor }) } },
        }),
      ),
  });
  const revoke = useMutation({
    mutationFn: async (id: string) =>
      done(await api.DELETE('/api/v1/me/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      setRevoking(undefined);
      setRevokeProblem(undefined);
      void client.invalidateQueries({ queryKey: TOKENS_KEY });
    },
    onError: (err) => setRevokeProblem(problemOf(err)),
  });

  return (
    <PageSection aria-labelledby="tokens-title" aria-busy={query.isFetching}>
      <Title headingLevel="h2" id="tokens-title" className="hm-title">
        Your tokens
      </Title>
      {query.isLoading ? (
        <Loading label="Loading your tokens" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="Your tokens could not be loaded" />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No tokens yet" headingLevel="h3">
          <EmptyStateBody>Create one above for a script, CI or a registry client.</EmptyStateBody>
        </EmptyState>
      ) : (
        <>
          <Table aria-label="API tokens" gridBreakPoint="grid-md" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Starts with</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th>Expires</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((token) => (
                <Tr key={token.id}>
                  <Td dataLabel="Name">{token.name}</Td>
                  <Td dataLabel="Starts with" className="hm-mono">
                    {token.prefix}
                  </Td>
                  <Td dataLabel="Created">{formatDate(token.createdAt)}</Td>
                  <Td dataLabel="Last used">{formatDate(token.lastUsedAt)}</Td>
                  <Td dataLabel="Expires">
                    {token.expiresAt === null ? 'Never' : formatDate(token.expiresAt)}
                  </Td>
                  <Td dataLabel="Actions">
                    <Button
                      variant="secondary"
                      isDanger
                      onClick={() => setRevoking({ id: token.id, name: token.name })}
                    >
                      Revoke
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          {query.data.nextCursor === null ? null : (
            <Button
              variant="secondary"
              onClick={() => setCursor(query.data.nextCursor ?? undefined)}
            >
              Next page
            </Button>
          )}
        </>
      )}
      <Modal
        variant="small"
        isOpen={revoking !== undefined}
        onClose={() => setRevoking(undefined)}
        aria-labelledby="revoke-title"
      >
        <ModalHeader title="Revoke this token?" labelId="revoke-title" />
        <ModalBody>
          Scripts and clients that use “{revoking?.name}” stop working at once. This cannot be
          undone.
          <ProblemAlert problem={revokeProblem} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant="danger"
            isLoading={revoke.isPending}
            isDisabled={revoke.isPending}
            onClick={() => revoking !== undefined && revoke.mutate(revoking.id)}
          >
            Revoke
          </Button>
          <Button variant="link" onClick={() => setRevoking(undefined)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </PageSection>
  );
}
