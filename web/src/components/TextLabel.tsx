/**
 * PatternFly's label, as static text: the same markup and styles as its `Label` without what a
 * static label never needs. `Label` measures its text after every render to offer a tooltip when
 * the text is cut off (a forced layout per label): a table of 20 graded rows paid about 100 ms for
 * it on a cold catalog page.
 */
import styles from '@patternfly/react-styles/css/components/Label/label';
import type { ReactNode } from 'react';

export type LabelColor =
  'blue' | 'teal' | 'green' | 'orange' | 'purple' | 'red' | 'orangered' | 'yellow' | 'grey';

interface TextLabelProps {
  children: ReactNode;
  color?: LabelColor;
  isCompact?: boolean;
  'aria-label'?: string;
}

/** Short text in a coloured label (a status, a grade, a tag). */
export function TextLabel({
  children,
  color = 'grey',
  isCompact = false,
  'aria-label': ariaLabel,
}: TextLabelProps) {
  const classes: string[] = [styles.label, styles.modifiers.filled];
  if (color !== 'grey') {
    classes.push(styles.modifiers[color]);
  }
  if (isCompact) {
    classes.push(styles.modifiers.compact);
  }
  return (
    <span className={classes.join(' ')} aria-label={ariaLabel}>
      <span className={styles.labelContent}>
        <span className={styles.labelText}>{children}</span>
      </span>
    </span>
  );
}
