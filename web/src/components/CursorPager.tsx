/**
 * Paging through a list the API pages by cursor (`nextCursor`): `useCursorPages` keeps the
 * cursors of the pages walked so far, `CursorPager` shows "Previous page" and "Next page".
 */
import { Button } from '@patternfly/react-core';
import { useState } from 'react';
import './CursorPager.css';

/** Where a cursor-paged list is, and how to move. */
export interface CursorPages {
  /** The cursor of the page shown; undefined on the first page. */
  readonly cursor: string | undefined;
  /** Whether a previous page exists. */
  readonly hasPrevious: boolean;
  /** Back one page. */
  readonly previous: () => void;
  /** On to the page starting at `nextCursor` (of the page shown). */
  readonly next: (nextCursor: string) => void;
  /** Back to the first page (after a filter changes). */
  readonly reset: () => void;
}

/** The cursors of the pages walked so far; the last one is the page shown. */
export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<readonly string[]>([]);
  return {
    cursor: cursors.at(-1),
    hasPrevious: cursors.length > 0,
    previous: () => setCursors((walked) => walked.slice(0, -1)),
    next: (nextCursor) => setCursors((walked) => [...walked, nextCursor]),
    reset: () => setCursors([]),
  };
}

/** "Previous page" and "Next page" under a list; `nextCursor` is the shown page's. */
export function CursorPager({
  pages,
  nextCursor,
  label = 'Pages',
}: {
  pages: CursorPages;
  nextCursor: string | null;
  /** The name of the navigation landmark (one per list on a screen). */
  label?: string;
}) {
  return (
    // A plain flex row: PatternFly's Flex would bring its 65 kB style sheet to every list's screen.
    <nav aria-label={label} className="hm-pager">
      <Button variant="secondary" isDisabled={!pages.hasPrevious} onClick={pages.previous}>
        Previous page
      </Button>
      <Button
        variant="secondary"
        isDisabled={nextCursor === null}
        onClick={() => nextCursor !== null && pages.next(nextCursor)}
      >
        Next page
      </Button>
    </nav>
  );
}
