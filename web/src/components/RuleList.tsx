/** Rules shown as the user types, each marked met or not yet met. */
import { HelperText, HelperTextItem } from '@patternfly/react-core';
import type { Rule } from '../rules';

/** The rules of a field (id `${id}-rules`, for aria-describedby). */
export function RuleList({ id, rules, touched }: { id: string; rules: Rule[]; touched: boolean }) {
  return (
    <HelperText id={`${id}-rules`} component="ul" aria-live="polite">
      {rules.map((rule) => (
        <HelperTextItem
          key={rule.text}
          component="li"
          variant={rule.met ? 'success' : touched ? 'error' : 'indeterminate'}
        >
          {rule.text}
          <span className="pf-v6-screen-reader">{rule.met ? ' (met)' : ' (not met yet)'}</span>
        </HelperTextItem>
      ))}
    </HelperText>
  );
}
