/**
 * Export compliance: the questionnaire (the guide's "Part I: Red Hat Questionnaire"), and the
 * company's questionnaires with their status and target date.
 */
import {
  ActionGroup,
  Alert,
  Checkbox,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  PageSection,
  Radio,
  TextArea,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ok, problemOf, type Problem, type User } from '../../api/client';
import { FieldHelp } from '../../components/FieldError';
import { SubmitButton, TextField } from '../../components/FormParts';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import '../partner.css';
import { StatusLabel } from './complianceParts';

const ENC = [
  ['not_applicable', 'Not applicable'],
  ['740.17(a)', '§740.17(a) (not accepted)'],
  ['740.17(b)(1)', '§740.17(b)(1)'],
  ['740.17(b)(2)', '§740.17(b)(2) (not accepted)'],
  ['740.17(b)(3)', '§740.17(b)(3)'],
  ['unknown', 'Unknown'],
] as const;
type Enc = (typeof ENC)[number][0];

/** The export compliance screen. */
export default function CompliancePage() {
  return <RequireSession>{(user) => <Compliance user={user} />}</RequireSession>;
}

function Compliance({ user }: { user: User }) {
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Export Compliance Questionnaire
        </Title>
        <p>
          Questions for the evaluation of export compliance of third party software. Completing and
          returning the questionnaire does not guarantee export compliance approval, but begins the
          evaluation; staff answer within a target date and may ask follow-up questions.
        </p>
      </PageSection>
      <Questionnaires />
      {user.orgAdmin && user.companyId !== null ? <NewQuestionnaire /> : null}
    </>
  );
}

function Questionnaires() {
  const query = useQuery({
    queryKey: ['export-compliance'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/export-compliance', { params: { query: { pageSize: 100 } } })),
  });
  return (
    <PageSection aria-labelledby="list-title" aria-busy={query.isFetching}>
      <Title headingLevel="h2" id="list-title" className="hm-title">
        Your questionnaires
      </Title>
      {query.isLoading ? (
        <Loading label="Loading the questionnaires" />
      ) : query.isError ? (
        <ProblemAlert
          problem={problemOf(query.error)}
          title="The questionnaires could not be loaded"
        />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No questionnaire yet" headingLevel="h3">
          <EmptyStateBody>Fill in the questionnaire below.</EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Questionnaires" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Submitted</Th>
              <Th>Status</Th>
              <Th>Target date</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          </Thead>
          <Tbody>
            {query.data.items.map((q) => (
              <Tr key={q.id}>
                <Td dataLabel="Submitted">{formatDate(q.submittedAt)}</Td>
                <Td dataLabel="Status">
                  <StatusLabel status={q.status} overdue={q.overdue} />
                </Td>
                <Td dataLabel="Target date">{formatDate(q.dueAt)}</Td>
                <Td dataLabel="Actions">
                  <LinkButton
                    variant="link"
                    isInline
                    to={`/export-compliance/${q.id}`}
                    aria-label={`Open the questionnaire of ${formatDate(q.submittedAt)}`}
                  >
                    Open
                  </LinkButton>
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}

interface Values {
  productId: string;
  containsCryptography: boolean;
  functions: string;
  algorithms: string;
  keyLengths: string;
  osCryptoOnly: boolean;
  massMarket: boolean;
  enc: Enc;
  eccn: string;
  ccats: string;
  countries: string;
  name: string;
  title: string;
  email: string;
  phone: string;
  additional: string;
}

const EMPTY: Values = {
  productId: '',
  containsCryptography: false,
  functions: '',
  algorithms: '',
  keyLengths: '',
  osCryptoOnly: false,
  massMarket: false,
  enc: 'not_applicable',
  eccn: '',
  ccats: '',
  countries: '',
  name: '',
  title: '',
  email: '',
  phone: '',
  additional: '',
};

/** Where each API path of the answers goes on the form. */
const PATHS: Record<string, keyof Values> = {
  productId: 'productId',
  'answers.cryptography.functions': 'functions',
  'answers.cryptography.algorithms': 'algorithms',
  'answers.cryptography.keyLengths': 'keyLengths',
  'answers.cryptography': 'functions',
  'answers.eccn': 'eccn',
  'answers.ccats': 'ccats',
  'answers.countriesOfDevelopment': 'countries',
  'answers.legalRepresentative.name': 'name',
  'answers.legalRepresentative.title': 'title',
  'answers.legalRepresentative.email': 'email',
  'answers.legalRepresentative.phone': 'phone',
  'answers.additionalInformation': 'additional',
};

function list(text: string): string[] {
  return text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function NewQuestionnaire() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [v, setV] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof Values, string>>>({});
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const products = useQuery({
    queryKey: ['products'],
    queryFn: async () =>
      ok(await api.GET('/api/v1/products', { params: { query: { pageSize: 100 } } })),
  });
  const set = <K extends keyof Values>(k: K, value: Values[K]) => setV({ ...v, [k]: value });
  const submit = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/export-compliance', {
          body: {
            ...(v.productId === '' ? {} : { productId: v.productId }),
            answers: {
              containsCryptography: v.containsCryptography,
              ...(v.containsCryptography
                ? {
                    cryptography: {
                      functions: v.functions.trim(),
                      algorithms: list(v.algorithms),
                      keyLengths: v.keyLengths.trim(),
                      usesOperatingSystemCryptoOnly: v.osCryptoOnly,
                    },
                  }
                : {}),
              massMarket: v.massMarket,
              licenseExceptionEnc: v.enc,
              ...(v.eccn.trim() === '' ? {} : { eccn: v.eccn.trim() }),
              ...(v.ccats.trim() === '' ? {} : { ccats: v.ccats.trim() }),
              countriesOfDevelopment: list(v.countries).map((c) => c.toUpperCase()),
              legalRepresentative: {
                name: v.name.trim(),
                title: v.title.trim(),
                email: v.email.trim(),
                ...(v.phone.trim() === '' ? {} : { phone: v.phone.trim() }),
              },
              ...(v.additional.trim() === '' ? {} : { additionalInformation: v.additional.trim() }),
            },
          },
        }),
      ),
    onSuccess: (data) => {
      void client.invalidateQueries({ queryKey: ['export-compliance'] });
      void navigate(`/export-compliance/${data.id}`);
    },
    onError: (err) => {
      const p = problemOf(err);
      const fields: Partial<Record<keyof Values, string>> = {};
      let unplaced = (p.errors ?? []).length === 0;
      for (const e of p.errors ?? []) {
        const path = e.path.replace(/^body\./, '').replace(/\.\d+$/, '');
        const field = PATHS[path];
        if (field === undefined) {
          unplaced = true;
        } else {
          fields[field] ??= e.message;
        }
      }
      setErrors(fields);
      setProblem(unplaced ? p : undefined);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Record<keyof Values, string>> = {};
    if (v.containsCryptography) {
      if (v.functions.trim() === '') {
        found.functions = 'Describe what the cryptography does.';
      }
      if (list(v.algorithms).length === 0) {
        found.algorithms = 'Name at least one algorithm.';
      }
      if (v.keyLengths.trim() === '') {
        found.keyLengths = 'Give the key lengths.';
      }
    }
    if (list(v.countries).length === 0) {
      found.countries = 'Name at least one country, e.g. US.';
    }
    if (v.name.trim() === '') {
      found.name = 'Name is required.';
    }
    if (v.title.trim() === '') {
      found.title = 'Title is required.';
    }
    if (v.email.trim() === '') {
      found.email = 'E-mail address is required.';
    }
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length === 0) {
      submit.mutate();
    }
  };
  return (
    <PageSection aria-labelledby="form-title">
      <Title headingLevel="h2" id="form-title" className="hm-title">
        Part I: the questionnaire
      </Title>
      <Alert
        variant="info"
        isInline
        title="Applications authorized for export as encryption items under License Exception ENC §740.17(b)(2) and/or §740.17(a) cannot be accepted."
        className="hm-partner-form"
      />
      <Form
        onSubmit={onSubmit}
        noValidate
        aria-label="Export compliance questionnaire"
        className="hm-partner-form"
      >
        <FormGroup label="Product" fieldId="productId">
          <FormSelect id="productId" value={v.productId} onChange={(_e, x) => set('productId', x)}>
            <FormSelectOption value="" label="The whole company (no one product)" />
            {(products.data?.items ?? []).map((p) => (
              <FormSelectOption key={p.id} value={p.id} label={p.name} />
            ))}
          </FormSelect>
        </FormGroup>
        <FormGroup
          role="radiogroup"
          isInline
          fieldId="containsCryptography"
          label="Does the product contain, use or implement cryptography (encryption, signing, hashing)?"
          isRequired
        >
          <Radio
            id="crypto-yes"
            name="containsCryptography"
            label="Yes"
            isChecked={v.containsCryptography}
            onChange={() => set('containsCryptography', true)}
          />
          <Radio
            id="crypto-no"
            name="containsCryptography"
            label="No"
            isChecked={!v.containsCryptography}
            onChange={() => set('containsCryptography', false)}
          />
        </FormGroup>
        {v.containsCryptography ? (
          <>
            <FormGroup label="What does the cryptography do?" isRequired fieldId="functions">
              <TextArea
                id="functions"
                value={v.functions}
                onChange={(_e, x) => set('functions', x)}
                aria-describedby="functions-help"
                validated={errors.functions === undefined ? 'default' : 'error'}
                isRequired
              />
              <FieldHelp
                id="functions"
                error={errors.functions}
                hint="Data at rest, in transit, authentication, licensing…"
              />
            </FormGroup>
            <TextField
              id="algorithms"
              label="Algorithms"
              value={v.algorithms}
              onChange={(x) => set('algorithms', x)}
              error={errors.algorithms}
              hint="Separated by commas, e.g. AES, RSA, SHA-256."
            />
            <TextField
              id="keyLengths"
              label="Key lengths"
              value={v.keyLengths}
              onChange={(x) => set('keyLengths', x)}
              error={errors.keyLengths}
              hint="E.g. AES-256, RSA-2048."
            />
            <Checkbox
              id="osCryptoOnly"
              label="The product only calls the operating system’s cryptography (e.g. OpenSSL)"
              isChecked={v.osCryptoOnly}
              onChange={(_e, c) => set('osCryptoOnly', c)}
            />
          </>
        ) : null}
        <Checkbox
          id="massMarket"
          label="The product is a mass-market item (sold to the public through ordinary retail channels)"
          isChecked={v.massMarket}
          onChange={(_e, c) => set('massMarket', c)}
        />
        <FormGroup label="License Exception ENC" isRequired fieldId="enc">
          <FormSelect id="enc" value={v.enc} onChange={(_e, x) => set('enc', x as Enc)}>
            {ENC.map(([value, label]) => (
              <FormSelectOption key={value} value={value} label={label} />
            ))}
          </FormSelect>
        </FormGroup>
        <TextField
          id="eccn"
          label="ECCN"
          required={false}
          value={v.eccn}
          onChange={(x) => set('eccn', x)}
          error={errors.eccn}
          hint="Export Control Classification Number if known: EAR99, or like 5D002 / 5D992.c."
        />
        <TextField
          id="ccats"
          label="CCATS"
          required={false}
          value={v.ccats}
          onChange={(x) => set('ccats', x)}
          error={errors.ccats}
          hint="The commodity classification number, if one was issued."
        />
        <TextField
          id="countries"
          label="Countries of development"
          value={v.countries}
          onChange={(x) => set('countries', x)}
          error={errors.countries}
          hint="Two-letter country codes separated by commas, e.g. US, DE."
        />
        <Title headingLevel="h3">Legal representative</Title>
        <TextField
          id="name"
          label="Name"
          value={v.name}
          onChange={(x) => set('name', x)}
          error={errors.name}
        />
        <TextField
          id="title"
          label="Title"
          value={v.title}
          onChange={(x) => set('title', x)}
          error={errors.title}
        />
        <TextField
          id="email"
          label="E-mail address"
          type="email"
          value={v.email}
          onChange={(x) => set('email', x)}
          error={errors.email}
        />
        <TextField
          id="phone"
          label="Phone"
          type="tel"
          required={false}
          value={v.phone}
          onChange={(x) => set('phone', x)}
          error={errors.phone}
        />
        <FormGroup label="Additional information" fieldId="additional">
          <TextArea
            id="additional"
            value={v.additional}
            onChange={(_e, x) => set('additional', x)}
          />
        </FormGroup>
        <ProblemAlert problem={problem} />
        <ActionGroup>
          <SubmitButton pending={submit.isPending}>Submit the questionnaire</SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}
