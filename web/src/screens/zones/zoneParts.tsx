/** What the zone screens share: the company's readiness to apply, and a request's status label. */
import { Alert } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { api, ok, type User } from '../../api/client';
import type { paths } from '../../api/schema';
import { LinkButton } from '../../components/LinkButton';
import { TextLabel } from '../../components/TextLabel';

/** A zone with the caller's company's access. */
export type Zone =
  paths['/api/v1/zones/{id}']['get']['responses'][200]['content']['application/json'];
/** The company's latest request for a zone. */
export type ZoneAccess = NonNullable<Zone['access']>;
type Company =
  paths['/api/v1/companies/{id}']['get']['responses'][200]['content']['application/json'];

/** The user's company (profile completeness and agreement), when they have one. */
export function useCompany(user: User) {
  const companyId = user.companyId;
  return useQuery({
    queryKey: ['companies', companyId],
    enabled: companyId !== null,
    queryFn: async () =>
      ok(await api.GET('/api/v1/companies/{id}', { params: { path: { id: companyId ?? '' } } })),
  });
}

/**
 * Why the user cannot apply for a zone yet, in the API's words (its "Become a partner" steps and
 * their missing fields), or undefined when they can.
 */
export function applyBlocker(user: User, company: Company | undefined): string | undefined {
  if (user.companyId === null) {
    return 'Register your company or join one first.';
  }
  if (!user.orgAdmin) {
    return 'Only an organization administrator of your company can apply for zone access.';
  }
  if (company === undefined) {
    return undefined;
  }
  const reasons: string[] = [];
  if (!company.profileComplete) {
    reasons.push(
      `Complete the mandatory company profile fields first: ${company.missingFields.join(', ')}.`,
    );
  }
  if (company.agreement === null || !company.agreement.current) {
    reasons.push('Accept the current program agreement first.');
  }
  return reasons.length === 0 ? undefined : reasons.join(' ');
}

/** The reason the Apply buttons are disabled, with the way to fix it. */
export function ApplyBlocker({ user, reason }: { user: User; reason: string | undefined }) {
  if (reason === undefined) {
    return null;
  }
  return (
    <Alert
      variant="warning"
      isInline
      title="You cannot apply for zone access yet"
      className="hm-partner-reason"
      id="apply-reason"
    >
      <p>{reason}</p>
      {user.companyId === null ? (
        <LinkButton variant="link" isInline to="/welcome">
          Find or register your company
        </LinkButton>
      ) : user.orgAdmin ? (
        <LinkButton variant="link" isInline to={`/companies/${user.companyId}/become-partner`}>
          Complete the “Become a partner” steps
        </LinkButton>
      ) : null}
    </Alert>
  );
}

/** The status of the company's request for a zone. */
export function AccessLabel({ access }: { access: ZoneAccess | null }) {
  if (access === null) {
    return <TextLabel color="grey">Not requested</TextLabel>;
  }
  switch (access.status) {
    case 'pending':
      return <TextLabel color="orange">Pending</TextLabel>;
    case 'approved':
      return <TextLabel color="green">Approved</TextLabel>;
    case 'rejected':
      return <TextLabel color="red">Rejected</TextLabel>;
  }
}

/** Whether the company may (re)apply: never requested, or rejected. */
export function canApply(access: ZoneAccess | null): boolean {
  return access === null || access.status === 'rejected';
}
