/**
 * PatternFly's table for read-only tables: the markup and styles of `@patternfly/react-table`'s
 * Table, Thead, Tbody, Tr, Th and Td, without their cell features (sorting, selection, actions,
 * expansion, tree rows, info popovers, the tooltip of a truncated cell). react-table's Th and Td
 * import every one of those features, and with them the dropdown, menu, popover, checkbox and
 * radio components and their styles (about 40 kB gzip); the public catalog, the page an anonymous
 * visitor loads first, shows none of them. Same elements, classes and attributes as react-table's,
 * so the same look and the same roles (a `grid` named by its `aria-label`).
 */
import { useOUIAProps } from '@patternfly/react-core';
import { css } from '@patternfly/react-styles';
import styles from '@patternfly/react-styles/css/components/Table/table';
import gridStyles from '@patternfly/react-styles/css/components/Table/table-grid';
import type { ComponentProps } from 'react';

/** Below this breakpoint the table shows each row as a card of labelled cells (`Td`'s `dataLabel`). */
const GRID = {
  grid: gridStyles.modifiers.grid,
  'grid-md': gridStyles.modifiers.gridMd,
  'grid-lg': gridStyles.modifiers.gridLg,
  'grid-xl': gridStyles.modifiers.gridXl,
  'grid-2xl': gridStyles.modifiers.grid_2xl,
} as const;

interface TableProps extends ComponentProps<'table'> {
  'aria-label': string;
  /** react-table's default too. */
  gridBreakPoint?: keyof typeof GRID;
  variant?: 'compact';
}

export function Table({
  className,
  gridBreakPoint = 'grid-md',
  variant,
  children,
  ...props
}: TableProps) {
  const ouia = useOUIAProps('Table');
  return (
    <table
      role="grid"
      className={css(
        className,
        styles.table,
        GRID[gridBreakPoint],
        variant === undefined ? undefined : styles.modifiers[variant],
      )}
      {...ouia}
      {...props}
    >
      {children}
    </table>
  );
}

export function Thead({ className, ...props }: ComponentProps<'thead'>) {
  return <thead className={css(styles.tableThead, className)} {...props} />;
}

export function Tbody({ className, ...props }: ComponentProps<'tbody'>) {
  return <tbody role="rowgroup" className={css(styles.tableTbody, className)} {...props} />;
}

export function Tr({ className, ...props }: ComponentProps<'tr'>) {
  const ouia = useOUIAProps('TableRow');
  return <tr className={css(styles.tableTr, className)} {...ouia} {...props} />;
}

export function Th({ className, ...props }: ComponentProps<'th'>) {
  return <th tabIndex={-1} scope="col" className={css(styles.tableTh, className)} {...props} />;
}

export function Td({
  className,
  dataLabel,
  modifier,
  ...props
}: ComponentProps<'td'> & {
  /** The cell's column name in the grid layout. */ dataLabel?: string;
  /** react-table's: long words (a repository's path) wrap anywhere. */ modifier?: 'breakWord';
}) {
  return (
    <td
      tabIndex={-1}
      data-label={dataLabel}
      className={css(
        styles.tableTd,
        modifier === undefined ? undefined : styles.modifiers[modifier],
        className,
      )}
      {...props}
    />
  );
}
