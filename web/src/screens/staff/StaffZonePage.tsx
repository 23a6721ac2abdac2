/**
 * Staff: create a zone (/staff/zones/new) or edit one's rules: name, description, policy, the
 * release categories it allows, and which of the policy's assessments are required or advisory.
 */
import {
  ActionGroup,
  Alert,
  Checkbox,
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
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { POLICY_ASSESSMENTS } from './shared';

type Policy = 'container' | 'connect-2018';
type Field = 'name' | 'description' | 'policy' | 'releaseCategories' | 'advisoryChecks';
const FIELDS: readonly Field[] = [
  'name',
  'description',
  'policy',
  'releaseCategories',
  'advisoryChecks',
];

interface Rules {
  name: string;
  description: string;
  policy: Policy;
  releaseCategories: string;
  advisoryChecks: string[];
}

/** The zone screen. */
export default function StaffZonePage() {
  const { id = '' } = useParams();
  return (
    <RequireSession staff>
      {() => (id === 'new' ? <ZoneForm id={null} initial={EMPTY} /> : <LoadZone id={id} />)}
    </RequireSession>
  );
}

const EMPTY: Rules = {
  name: '',
  description: '',
  policy: 'container',
  releaseCategories: 'Generally Available',
  advisoryChecks: [],
};

function LoadZone({ id }: { id: string }) {
  const query = useQuery({
    queryKey: ['staff', 'zones', id],
    queryFn: async () => ok(await api.GET('/api/v1/zones/{id}', { params: { path: { id } } })),
  });
  if (query.isPending) {
    return <Loading label="Loading the zone" />;
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
  const z = query.data;
  return (
    <ZoneForm
      key={z.id}
      id={z.id}
      initial={{
        name: z.name,
        description: z.description,
        policy: z.policy,
        releaseCategories: z.releaseCategories.join(', '),
        advisoryChecks: [...z.advisoryChecks],
      }}
    />
  );
}

function ZoneForm({ id, initial }: { id: string | null; initial: Rules }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [rules, setRules] = useState<Rules>(initial);
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<Rules>) => {
    setSaved(false);
    setRules({ ...rules, ...patch });
  };
  const mutation = useMutation({
    mutationFn: async () => {
      const body = {
        name: rules.name.trim(),
        description: rules.description,
        policy: rules.policy,
        releaseCategories: rules.releaseCategories
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
        advisoryChecks: rules.advisoryChecks,
      };
      return id === null
        ? ok(await api.POST('/api/v1/zones', { body }))
        : ok(await api.PATCH('/api/v1/zones/{id}', { params: { path: { id } }, body }));
    },
    onSuccess: (zone) => {
      void client.invalidateQueries({ queryKey: ['staff', 'zones'] });
      setSaved(true);
      if (id === null) {
        void navigate(`/staff/zones/${zone.id}`);
      }
    },
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (rules.name.trim() === '') {
      setErrors({ fields: { name: 'Name the zone.' }, form: undefined });
      return;
    }
    setErrors(NO_ERRORS);
    mutation.mutate();
  };
  const assessments = POLICY_ASSESSMENTS[rules.policy];
  return (
    <PageSection>
      <p>
        <Link to="/staff/zones">Zones</Link>
      </p>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        {id === null ? 'Create a zone' : `Zone: ${initial.name}`}
      </Title>
      {saved ? <Alert variant="success" isInline title="The zone's rules are saved" /> : null}
      <Form onSubmit={submit} noValidate aria-label="Zone rules" className="hm-narrow">
        <TextField
          id="name"
          label="Name"
          value={rules.name}
          onChange={(name) => set({ name })}
          error={errors.fields.name}
        />
        <FormGroup label="Description" fieldId="description">
          <TextArea
            id="description"
            value={rules.description}
            onChange={(_e, description) => set({ description })}
            aria-describedby="description-help"
          />
          <p id="description-help">{errors.fields.description ?? 'Shown to partners.'}</p>
        </FormGroup>
        <FormGroup label="Policy" fieldId="policy" isRequired>
          <FormSelect
            id="policy"
            value={rules.policy}
            onChange={(_e, v) => set({ policy: v as Policy, advisoryChecks: [] })}
          >
            <FormSelectOption value="container" label="container (Container certification)" />
            <FormSelectOption value="connect-2018" label="connect-2018 (Red Hat Connect 2018)" />
          </FormSelect>
        </FormGroup>
        <TextField
          id="releaseCategories"
          label="Allowed release categories"
          value={rules.releaseCategories}
          onChange={(releaseCategories) => set({ releaseCategories })}
          error={errors.fields.releaseCategories}
          hint="Comma-separated, e.g. Generally Available, Tech Preview."
        />
        <FormGroup
          label="Assessments (checked: advisory, reported without failing; unchecked: required)"
          fieldId="advisory"
          role="group"
        >
          <div className="hm-staff-checks">
            {assessments.map((name) => (
              <Checkbox
                key={name}
                id={`advisory-${name}`}
                label={name}
                isChecked={rules.advisoryChecks.includes(name)}
                onChange={(_e, checked) =>
                  set({
                    advisoryChecks: checked
                      ? [...rules.advisoryChecks, name]
                      : rules.advisoryChecks.filter((c) => c !== name),
                  })
                }
              />
            ))}
          </div>
          <p>
            Required: {assessments.filter((a) => !rules.advisoryChecks.includes(a)).length},
            advisory: {rules.advisoryChecks.length}
          </p>
          {errors.fields.advisoryChecks !== undefined ? (
            <p className="pf-v6-c-helper-text__item-text">{errors.fields.advisoryChecks}</p>
          ) : null}
        </FormGroup>
        <ProblemAlert problem={errors.form} />
        <ActionGroup>
          <SubmitButton pending={mutation.isPending}>
            {id === null ? 'Create the zone' : 'Save the rules'}
          </SubmitButton>
        </ActionGroup>
      </Form>
    </PageSection>
  );
}
