/**
 * "Become a partner" (`/companies/:id/become-partner`): a wizard of the guide's steps — Company
 * details, Connect details, My profile — each saved by Next, then the Technology Partner Program
 * Agreement (versioned text) to accept. Finishing lands on the company dashboard.
 */
import {
  Alert,
  Checkbox,
  Content,
  Form,
  PageSection,
  Title,
  Wizard,
  WizardStep,
  useWizardContext,
  useWizardFooter,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { api, ok, problemOf, type User } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import { useCompanyProfileForm, useMyProfileForm, type StepForm } from './forms';
import { companyKey, CompanyNotFound, isNotFound, useCompany, type Company } from './parts';
import './company.css';

/** The "Become a partner" screen. */
export default function BecomePartnerPage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <BecomePartner id={id} user={user} />}</RequireSession>;
}

function BecomePartner({ id, user }: { id: string; user: User }) {
  const query = useCompany(id);
  const navigate = useNavigate();
  if (query.isLoading) {
    return <Loading label="Loading the company" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    return isNotFound(problem) ? (
      <CompanyNotFound />
    ) : (
      <PageSection>
        <ProblemAlert problem={problem} title="The company could not be loaded" />
      </PageSection>
    );
  }
  const company = query.data;
  if (company === undefined) {
    return null;
  }
  const admin = user.staff || (user.orgAdmin && user.companyId === company.id);
  const steps = company.partnerStatus.steps;
  const firstOpen = steps.findIndex((s) => !s.done);
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Become a partner
        </Title>
        <p>
          Complete the sections of {company.name}&apos;s profile (fields marked * are required),
          then review and accept the Technology Partner Program Agreement.
        </p>
        {admin ? null : (
          <Alert
            variant="info"
            isInline
            title="Only your organization administrators can complete these steps"
            className="hm-company-gap"
          >
            You can keep your own profile up to date on My profile.
          </Alert>
        )}
      </PageSection>
      {admin ? (
        <PageSection className="hm-company-wizard-section">
          <Wizard
            navAriaLabel="Become a partner steps"
            className="hm-company-wizard"
            startIndex={firstOpen < 0 ? 1 : firstOpen + 1}
            onClose={() => void navigate(`/companies/${company.id}`)}
          >
            <WizardStep name="Company details" id="company_details">
              <ProfileStep company={company} part="details" title="Company details" />
            </WizardStep>
            <WizardStep name="Connect details" id="connect_details">
              <ProfileStep company={company} part="connect" title="Connect details" />
            </WizardStep>
            <WizardStep name="My profile" id="my_profile">
              <MyProfileStep user={user} />
            </WizardStep>
            <WizardStep name="Program agreement" id="agreement">
              <AgreementStep company={company} />
            </WizardStep>
          </Wizard>
        </PageSection>
      ) : null}
    </>
  );
}

/** A step whose Next saves its form first and moves on only when the API took it. */
function SavedStep({ form, title, intro }: { form: StepForm; title: string; intro: ReactNode }) {
  const { goToNextStep } = useWizardContext();
  const next = useLatest(async () => {
    if (await form.save()) {
      await goToNextStep();
    }
  });
  const footer = useMemo(
    () => ({
      nextButtonText: 'Save and continue',
      nextButtonProps: { isLoading: form.pending },
      onNext: () => next.current(),
    }),
    [form.pending, next],
  );
  useWizardFooter(footer);
  return (
    <Form
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void footer.onNext();
      }}
      className="hm-narrow"
    >
      <Title headingLevel="h2" size="xl">
        {title}
      </Title>
      <p>{intro}</p>
      {form.fields}
      <ProblemAlert problem={form.problem} />
      {/* Enter in a field submits: the form has a (hidden) submit button of its own. */}
      <button type="submit" hidden aria-hidden tabIndex={-1} />
    </Form>
  );
}

function ProfileStep({
  company,
  part,
  title,
}: {
  company: Company;
  part: 'details' | 'connect';
  title: string;
}) {
  const form = useCompanyProfileForm(company, part);
  return (
    <SavedStep
      form={form}
      title={title}
      intro={
        part === 'details'
          ? 'Who the company is and where to reach it.'
          : 'How the program works with you: your partner type and contacts.'
      }
    />
  );
}

function MyProfileStep({ user }: { user: User }) {
  const form = useMyProfileForm(user, false);
  return <SavedStep form={form} title="My profile" intro="How the program addresses you." />;
}

/** The agreement's text, and "I agree" before Accept. */
function AgreementStep({ company }: { company: Company }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [agreed, setAgreed] = useState(false);
  const [checked, setChecked] = useState(false);
  const agreement = useQuery({
    queryKey: ['agreements', 'program'],
    queryFn: async () => ok(await api.GET('/api/v1/agreements/program')),
  });
  const accept = useMutation({
    mutationFn: async (version: string) =>
      ok(
        await api.POST('/api/v1/companies/{id}/agreement', {
          params: { path: { id: company.id } },
          body: { version },
        }),
      ),
    onSuccess: (saved) => {
      client.setQueryData(companyKey(company.id), saved);
      void navigate(`/companies/${company.id}`);
    },
  });
  const current = company.agreement?.current === true ? company.agreement : null;
  const next = useLatest(() => {
    if (current !== null) {
      void navigate(`/companies/${company.id}`);
      return;
    }
    setChecked(true);
    if (agreed && agreement.data !== undefined) {
      accept.mutate(agreement.data.version);
    }
  });
  const loaded = agreement.data !== undefined;
  const footer = useMemo(
    () => ({
      nextButtonText: current === null ? 'Accept and finish' : 'Finish',
      nextButtonProps: { isLoading: accept.isPending },
      isNextDisabled: !loaded || accept.isPending,
      onNext: () => next.current(),
    }),
    [current, accept.isPending, loaded, next],
  );
  useWizardFooter(footer);

  if (agreement.isLoading) {
    return <Loading label="Loading the agreement" />;
  }
  if (agreement.isError || agreement.data === undefined) {
    return (
      <ProblemAlert
        problem={agreement.isError ? problemOf(agreement.error) : undefined}
        title="The agreement could not be loaded"
      />
    );
  }
  const text = agreement.data;
  return (
    <div className="hm-company-wide">
      <Title headingLevel="h2" size="xl" className="hm-title">
        {text.title}
      </Title>
      <p className="hm-company-muted">
        Version {text.version}, published {formatDate(text.publishedAt)}
      </p>
      <div className="hm-company-agreement" tabIndex={0} role="region" aria-label="Agreement text">
        {text.body.split(/\n{2,}/).map((para, i) => (
          <Content component="p" key={i}>
            {para}
          </Content>
        ))}
      </div>
      {current !== null ? (
        <Alert variant="success" isInline title="The agreement is accepted">
          Version {current.version}, accepted by {current.acceptedBy} on{' '}
          {formatDate(current.acceptedAt)}.
        </Alert>
      ) : (
        <>
          <Checkbox
            id="agree"
            isRequired
            label="I agree with the Technology Partner Program Agreement terms"
            isChecked={agreed}
            onChange={(_e, on) => setAgreed(on)}
            aria-describedby="agree-help"
          />
          {checked && !agreed ? (
            <p id="agree-help" className="hm-company-error">
              Tick the box to accept the agreement.
            </p>
          ) : null}
          <ProblemAlert
            problem={accept.isError ? problemOf(accept.error) : undefined}
            title="The agreement could not be accepted"
          />
        </>
      )}
    </div>
  );
}

/** A ref to the latest `fn`, so a memoized footer calls what the last render saw. */
function useLatest<T>(fn: T): { readonly current: T } {
  const ref = useRef(fn);
  useEffect(() => {
    ref.current = fn;
  });
  return ref;
}
