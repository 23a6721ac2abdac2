/** The page the confirmation e-mail's link opens (`/confirm?token=…`): confirms the address. */
import { Alert, Card, CardBody, PageSection, Title } from '@patternfly/react-core';
import { LinkButton } from '../components/LinkButton';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { Loading } from '../components/Loading';
import { ProblemAlert } from '../components/ProblemAlert';

/** Confirms once on opening (a link is single-use), then says what happened. */
export default function ConfirmPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const started = useRef(false);
  const mutation = useMutation({
    mutationFn: async () => ok(await api.POST('/api/v1/accounts/confirm', { body: { token } })),
  });
  const { mutate } = mutation;

  useEffect(() => {
    // Once, even when React runs effects twice in development: the token works only once.
    if (!started.current && token !== '') {
      started.current = true;
      mutate();
    }
  }, [token, mutate]);

  return (
    <PageSection>
      <Card className="hm-narrow">
        <CardBody>
          <Title headingLevel="h1" size="2xl" className="hm-title">
            Confirm your e-mail address
          </Title>
          {token === '' ? (
            <Alert variant="warning" isInline title="This link has no token">
              Open the link from the confirmation e-mail exactly as it was sent.
            </Alert>
          ) : mutation.isSuccess ? (
            <Alert variant="success" isInline title="Your address is confirmed">
              <p>
                The login <strong>{mutation.data.login}</strong> is active.
              </p>
              <LinkButton variant="primary" to="/login" className="hm-alert-action">
                Log in
              </LinkButton>
            </Alert>
          ) : mutation.isError ? (
            <ProblemAlert
              problem={problemOf(mutation.error)}
              title="This address could not be confirmed"
            />
          ) : (
            <Loading label="Confirming" />
          )}
        </CardBody>
      </Card>
    </PageSection>
  );
}
