/**
 * "Start new build": the image tag, with the guide's rules shown as it is typed, and a git ref
 * when not the configured one. On success the build's page opens, where its log streams.
 */
import { ActionGroup, Button, Form, Modal, ModalBody, ModalHeader } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { formErrors, NO_ERRORS, type FormErrors } from '../../api/problems';
import { SubmitButton, TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RuleList } from '../../components/RuleList';
import { tagRules } from './builds';

// The settings form behind the dialog has a `ref` field too: these ids are the dialog's own.
type Field = 'tag' | 'ref';
const FIELDS: readonly Field[] = ['tag', 'ref'];
/** The server's tag refusals, beside the tag. */
const BY_CODE: Readonly<Record<string, Field>> = {
  'build.tag_empty': 'tag',
  'build.tag_too_long': 'tag',
  'build.tag_start': 'tag',
  'build.tag_characters': 'tag',
};

/** The dialog; `configuredRef` is the settings' ref (null: the default branch). */
export function StartBuildDialog({
  projectId,
  configuredRef,
  onClose,
}: {
  projectId: string;
  configuredRef: string | null;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [tag, setTag] = useState('');
  const [ref, setRef] = useState('');
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<FormErrors<Field>>(NO_ERRORS);
  const start = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/api/v1/projects/{id}/builds', {
          params: { path: { id: projectId } },
          body: { tag, ...(ref.trim() === '' ? {} : { ref: ref.trim() }) },
        }),
      ),
    onSuccess: (build) => {
      void client.invalidateQueries({ queryKey: ['project', projectId, 'builds'] });
      void navigate(`/builds/${build.id}`);
    },
    onError: (err) => setErrors(formErrors(problemOf(err), FIELDS, BY_CODE)),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (tagRules(tag).some((r) => !r.met)) {
      setErrors({ fields: { tag: 'This tag does not meet the rules below.' }, form: undefined });
      return;
    }
    setErrors(NO_ERRORS);
    start.mutate();
  };
  return (
    <Modal variant="small" isOpen onClose={onClose} aria-labelledby="start-build-title">
      <ModalHeader
        title="Start new build"
        labelId="start-build-title"
        description="Enter a tag (the version of your plugin, e.g. 1.0): the image is built from the git source, pushed to the project and scanned."
      />
      <ModalBody>
        <Form onSubmit={submit} noValidate aria-label="Start new build">
          <TextField
            id="buildTag"
            label="Tag name"
            value={tag}
            onChange={(v) => {
              setTag(v);
              setTouched(true);
            }}
            error={errors.fields.tag}
            describedBy="buildTag-rules"
          >
            <RuleList id="buildTag" rules={tagRules(tag)} touched={touched} />
          </TextField>
          <TextField
            id="buildRef"
            label="Git ref"
            value={ref}
            onChange={setRef}
            required={false}
            error={errors.fields.ref}
            hint={`A branch, tag or commit to build instead of ${configuredRef === null ? 'the default branch' : `“${configuredRef}”`}; leave empty to build that.`}
          />
          <ProblemAlert problem={errors.form} />
          <ActionGroup>
            <SubmitButton pending={start.isPending}>Start the build</SubmitButton>
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
          </ActionGroup>
        </Form>
      </ModalBody>
    </Modal>
  );
}
