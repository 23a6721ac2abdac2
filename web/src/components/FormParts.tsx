/**
 * The pieces every form of the portal is built from, so that each field is labelled, marked
 * required, described by its hint or error (`aria-describedby`) and styled the same way.
 */
import {
  Button,
  Card,
  CardBody,
  FormGroup,
  PageSection,
  TextInput,
  Title,
  type TextInputProps,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { FieldHelp } from './FieldError';

/** A labelled text input with its hint or error under it; `children` go below (rule lists). */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  type = 'text',
  autoComplete,
  describedBy,
  required = true,
  children,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  type?: TextInputProps['type'];
  autoComplete?: string;
  /** Ids of further descriptions, e.g. a rule list's. */
  describedBy?: string;
  required?: boolean;
  children?: ReactNode;
}) {
  return (
    <FormGroup label={label} isRequired={required} fieldId={id}>
      <TextInput
        id={id}
        name={id}
        type={type}
        {...(autoComplete === undefined ? {} : { autoComplete })}
        value={value}
        onChange={(_event, next) => onChange(next)}
        validated={error === undefined ? 'default' : 'error'}
        aria-describedby={`${id}-help ${describedBy ?? ''}`.trim()}
        isRequired={required}
      />
      <FieldHelp id={id} error={error} {...(hint === undefined ? {} : { hint })} />
      {children}
    </FormGroup>
  );
}

/** A form's submit button, busy while its request runs. */
export function SubmitButton({ pending, children }: { pending: boolean; children: ReactNode }) {
  return (
    <Button type="submit" variant="primary" isLoading={pending} isDisabled={pending}>
      {children}
    </Button>
  );
}

/** A page holding one narrow card with a title: log in, sign up, password pages. */
export function FormCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <PageSection>
      <Card className="hm-narrow">
        <CardBody>
          <Title headingLevel="h1" size="2xl" className="hm-title">
            {title}
          </Title>
          {children}
        </CardBody>
      </Card>
    </PageSection>
  );
}
