/** Parts shared by the program staff screens. */
import { Button, TextInput } from '@patternfly/react-core';
import { useState } from 'react';
import './staff.css';

/** The assessments of each policy (src/engine/policy), in the policy's order. */
export const POLICY_ASSESSMENTS: Record<'container' | 'connect-2018', readonly string[]> = {
  container: [
    'HasLicense',
    'HasUniqueTag',
    'LayerCountAcceptable',
    'HasNoProhibitedPackages',
    'HasRequiredLabel',
    'HasNoProhibitedLabels',
    'RunAsNonRoot',
    'HasModifiedFiles',
    'BasedOnUbi',
    'LayerPathsValid',
  ],
  'connect-2018': [
    'has_licenses',
    'not_running_privileged',
    'rpm_list_successful',
    'rpm_verify_successful',
    'is_rhel',
    'vendor_label_exists',
    'free_of_critical_vulnerabilities',
    'good_tags',
    'good_layer_count',
    'release_label_exists',
    'not_running_as_root',
    'version_label_exists',
    'name_label_exists',
    'layer_paths_valid',
  ],
};

/** Approve, or reject / decline with a reason typed next to the button. */
export function Decide({
  label,
  approveLabel,
  rejectLabel,
  pending,
  onApprove,
  onReject,
}: {
  label: string;
  approveLabel: string;
  rejectLabel: string;
  pending: boolean;
  onApprove: () => void;
  onReject: (reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  return (
    <div className="hm-staff-reason">
      <Button variant="primary" size="sm" isDisabled={pending} onClick={onApprove}>
        {approveLabel}
      </Button>
      <TextInput
        aria-label={`Reason (${label})`}
        placeholder="Reason"
        value={reason}
        onChange={(_e, v) => setReason(v)}
      />
      <Button
        variant="secondary"
        size="sm"
        isDisabled={pending || reason.trim() === ''}
        onClick={() => onReject(reason.trim())}
      >
        {rejectLabel}
      </Button>
    </div>
  );
}
