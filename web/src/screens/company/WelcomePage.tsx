/**
 * Find your company (`/welcome`): a user without a company sees their requests to join one
 * (pending, or declined and when), searches companies by name and asks to join one — its org
 * admins decide, and are never shown here — or registers a new company and goes on to "Become a
 * partner".
 */
import {
  ActionGroup,
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  PageSection,
  SearchInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { api, ok, problemOf, type Problem } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './company.css';
import './WelcomePage.css';

const OWN_REQUESTS = ['me', 'join-requests'] as const;

/** The welcome screen of a user without a company. */
export default function WelcomePage() {
  // Once a company is registered the page is on its way to "Become a partner": the session that
  // now has a company must not send it to the dashboard instead.
  const [registered, setRegistered] = useState(false);
  return (
    <RequireSession>
      {(user) =>
        registered ? (
          <Loading label="Opening your company" />
        ) : user.staff ? (
          <Navigate to="/staff" replace />
        ) : user.companyId !== null ? (
          <Navigate to={`/companies/${user.companyId}`} replace />
        ) : (
          <>
            <PageSection>
              <Title headingLevel="h1" size="2xl" className="hm-title">
                Find your company
              </Title>
              <p>
                If your company already takes part in the program, ask to join it: its organization
                administrators decide. Otherwise register your company and become a partner.
              </p>
            </PageSection>
            <OwnRequests />
            <SearchCompanies />
            <RegisterCompany onRegistered={() => setRegistered(true)} />
          </>
        )
      }
    </RequireSession>
  );
}

/** The caller's requests to join a company, newest first (their outcome, never who decided). */
function useOwnRequests() {
  return useQuery({
    queryKey: OWN_REQUESTS,
    queryFn: async () =>
      ok(await api.GET('/api/v1/me/join-requests', { params: { query: { pageSize: 100 } } })),
  });
}

/** "Your requests": each pending one, and each declined one with its date. */
function OwnRequests() {
  const query = useOwnRequests();
  if (query.isError) {
    return (
      <PageSection>
        <ProblemAlert problem={problemOf(query.error)} title="Your requests could not be loaded" />
      </PageSection>
    );
  }
  const shown = (query.data?.items ?? []).filter((r) => r.status !== 'approved');
  if (shown.length === 0) {
    return null;
  }
  return (
    <PageSection aria-labelledby="own-requests-title">
      <Title headingLevel="h2" id="own-requests-title" className="hm-title">
        Your requests to join a company
      </Title>
      <ul className="hm-welcome-requests" aria-label="Your requests to join a company">
        {shown.map((r) => (
          <li key={r.id}>
            {r.status === 'pending' ? (
              <Alert
                variant="info"
                isInline
                isPlain
                title={`Your request to join ${r.company.name} is pending`}
              >
                Sent on {formatDate(r.createdAt)}; its organization administrators decide and you
                will get an e-mail.
              </Alert>
            ) : (
              <Alert
                variant="warning"
                isInline
                isPlain
                title={`Your request to join ${r.company.name} was declined on ${formatDate(r.decidedAt)}`}
              >
                You can ask again, ask another company or register your own below.
              </Alert>
            )}
          </li>
        ))}
      </ul>
    </PageSection>
  );
}

/** Search by name, with "Ask to join" on each company found (none while a request is pending). */
function SearchCompanies() {
  const client = useQueryClient();
  const own = useOwnRequests();
  const pending = new Set(
    (own.data?.items ?? []).filter((r) => r.status === 'pending').map((r) => r.company.id),
  );
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [asked, setAsked] = useState<Record<string, 'sent' | 'already'>>({});
  const [askProblem, setAskProblem] = useState<Problem | undefined>(undefined);
  const query = useQuery({
    queryKey: ['companies', 'search', search],
    enabled: search.length >= 2,
    queryFn: async () =>
      ok(await api.GET('/api/v1/companies', { params: { query: { search, pageSize: 20 } } })),
  });
  const ask = useMutation({
    mutationFn: async (id: string) =>
      ok(
        await api.POST('/api/v1/companies/{id}/join-requests', {
          params: { path: { id } },
          body: {},
        }),
      ),
    onSuccess: (_data, id) => {
      setAskProblem(undefined);
      setAsked((a) => ({ ...a, [id]: 'sent' }));
      void client.invalidateQueries({ queryKey: OWN_REQUESTS });
    },
    onError: (err, id) => {
      const problem = problemOf(err);
      if (problem.code === 'join_request.duplicate') {
        setAskProblem(undefined);
        setAsked((a) => ({ ...a, [id]: 'already' }));
      } else {
        setAskProblem(problem);
      }
    },
  });
  const tooShort = text.trim().length > 0 && text.trim().length < 2;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim().length >= 2) {
      setSearch(text.trim());
    }
  };

  return (
    <PageSection aria-labelledby="search-title">
      <Title headingLevel="h2" id="search-title" className="hm-title">
        Search for your company
      </Title>
      <Form onSubmit={submit} noValidate aria-label="Search for your company" className="hm-narrow">
        <FormGroup label="Company name" fieldId="company-search">
          <SearchInput
            id="company-search"
            aria-label="Company name"
            placeholder="At least 2 characters of its name"
            value={text}
            onChange={(_e, v) => setText(v)}
            onSearch={(_e, v) => v.trim().length >= 2 && setSearch(v.trim())}
            onClear={() => {
              setText('');
              setSearch('');
            }}
          />
        </FormGroup>
        {tooShort ? <p>Type at least 2 characters of the name.</p> : null}
      </Form>
      <div className="hm-company-results" aria-busy={query.isFetching}>
        {search === '' ? null : query.isLoading ? (
          <Loading label="Searching companies" />
        ) : query.isError ? (
          <ProblemAlert problem={problemOf(query.error)} title="The search failed" />
        ) : query.data === undefined ? null : query.data.items.length === 0 ? (
          <EmptyState titleText="No company matches" headingLevel="h3">
            <EmptyStateBody>
              Check the spelling, or register your company below if it is not in the program yet.
            </EmptyStateBody>
          </EmptyState>
        ) : (
          <>
            <ProblemAlert problem={askProblem} title="Your request could not be sent" />
            <Table aria-label="Companies found" variant="compact" gridBreakPoint="grid-md">
              <Thead>
                <Tr>
                  <Th>Company</Th>
                  <Th screenReaderText="Actions" />
                </Tr>
              </Thead>
              <Tbody>
                {query.data.items.map((company) => (
                  <Tr key={company.id}>
                    <Td dataLabel="Company">{company.name}</Td>
                    <Td dataLabel="Actions">
                      {asked[company.id] === 'sent' ? (
                        <Alert
                          variant="success"
                          isInline
                          isPlain
                          title={`Your request to join ${company.name} was sent; its organization administrators decide and you will get an e-mail.`}
                        />
                      ) : asked[company.id] === 'already' || pending.has(company.id) ? (
                        <Alert
                          variant="info"
                          isInline
                          isPlain
                          title={`You already asked to join ${company.name}; its organization administrators will decide.`}
                        />
                      ) : (
                        <Button
                          variant="secondary"
                          isLoading={ask.isPending && ask.variables === company.id}
                          isDisabled={ask.isPending}
                          onClick={() => ask.mutate(company.id)}
                        >
                          Ask to join
                        </Button>
                      )}
                    </Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
          </>
        )}
      </div>
    </PageSection>
  );
}

/** "Can't find your company": register a new one; the user becomes its first org admin. */
function RegisterCompany({ onRegistered }: { onRegistered: () => void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FormErrors<'name'>>(NO_ERRORS);
  const mutation = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/companies', { body: { name: name.trim() } })),
    onSuccess: (company) => {
      // Away first: this page sends a user who has a company to its dashboard.
      onRegistered();
      void navigate(`/companies/${company.id}/become-partner`);
      // The user now belongs to the company, as its org admin.
      void client.invalidateQueries({ queryKey: ['session'] });
    },
    onError: (err) =>
      setErrors(formErrors(problemOf(err), ['name'], { 'company.name_taken': 'name' })),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') {
      setErrors({ fields: { name: 'Enter the name of your company.' }, form: undefined });
      return;
    }
    setErrors(NO_ERRORS);
    mutation.mutate();
  };

  return (
    <PageSection aria-labelledby="register-title">
      <Title headingLevel="h2" id="register-title" className="hm-title">
        Can&apos;t find your company?
      </Title>
      <p className="hm-company-gap">
        Register it: you become its first organization administrator, then complete the steps to
        become a partner.
      </p>
      <Form onSubmit={submit} noValidate aria-label="Register a new company" className="hm-narrow">
        <TextField
          id="company-name"
          label="Company name"
          autoComplete="organization"
          value={name}
          onChange={setName}
          error={errors.fields.name}
        />
        <ProblemAlert problem={errors.form} />
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>Register a new company</SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}
