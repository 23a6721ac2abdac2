/**
 * Security errata an image lacks, one row per flaw and package: the advisory (with its CVE), its
 * severity, when it was released, the package, and the installed and fixed versions. The scan
 * details show it twice: what the scan found, and what the current grade counts.
 */
import { formatDate } from '../format';
import { Table, Tbody, Td, Th, Thead, Tr } from './PlainTable';
import { PlainText } from './PlainText';
import { type LabelColor, TextLabel } from './TextLabel';
import './ErrataTable.css';

/** A missing erratum as the API gives it (scan results and `GET /images/{id}/grades`). */
export interface Erratum {
  /** The flaw, e.g. `CVE-2024-1234`. */
  id: string;
  severity: string;
  package: string;
  installed: string;
  fixed: string;
  /** The advisory that fixes it, e.g. `RHSA-2024:1234`; empty when the data names none. */
  advisory: string;
  /** ISO date the advisory was released. */
  released: string;
}

const SEVERITY_COLOURS: Record<string, LabelColor> = {
  Critical: 'red',
  Important: 'orange',
  Moderate: 'yellow',
  Low: 'grey',
};

const DAY_MS = 24 * 3_600_000;

/** Red Hat's page of an advisory or a CVE (names come from data: only known shapes are linked). */
function redHatPage(name: string): string | undefined {
  if (/^RH[SBE]A-\d{4}:\d+$/.test(name)) {
    return `https://access.redhat.com/errata/${name}`;
  }
  if (/^CVE-\d{4}-\d+$/.test(name)) {
    return `https://access.redhat.com/security/cve/${name}`;
  }
  return undefined;
}

/** `name`, linked to Red Hat's page when it has one. */
function ErratumName({ name }: { name: string }) {
  const href = redHatPage(name);
  return href === undefined ? (
    <PlainText>{name}</PlainText>
  ) : (
    <a href={href} target="_blank" rel="noreferrer">
      {name}
    </a>
  );
}

/**
 * The table of `errata`, named `label`. With `now`, each release date says how old the advisory
 * is, which is what the grade counts.
 */
export function ErrataTable({
  errata,
  label,
  now,
}: {
  errata: readonly Erratum[];
  label: string;
  now?: number;
}) {
  return (
    <div className="hm-table-wrap">
      <Table aria-label={label} gridBreakPoint="grid-md" variant="compact">
        <Thead>
          <Tr>
            <Th>Advisory</Th>
            <Th>Severity</Th>
            <Th>Released</Th>
            <Th>Package</Th>
            <Th>Installed</Th>
            <Th>Fixed in</Th>
          </Tr>
        </Thead>
        <Tbody>
          {errata.map((v) => (
            <Tr key={`${v.id}-${v.package}-${v.installed}`}>
              <Td dataLabel="Advisory">
                {v.advisory === '' ? (
                  <ErratumName name={v.id} />
                ) : (
                  <>
                    <ErratumName name={v.advisory} />
                    <span className="hm-errata-cve">
                      <ErratumName name={v.id} />
                    </span>
                  </>
                )}
              </Td>
              <Td dataLabel="Severity">
                <span className="hm-inline">
                  <TextLabel color={SEVERITY_COLOURS[v.severity] ?? 'grey'}>{v.severity}</TextLabel>
                </span>
              </Td>
              <Td dataLabel="Released">
                {formatDate(v.released)}
                {now === undefined ? null : (
                  <span className="hm-errata-age">{age(v.released, now)}</span>
                )}
              </Td>
              <Td dataLabel="Package" className="hm-errata-text">
                <PlainText>{v.package}</PlainText>
              </Td>
              <Td dataLabel="Installed" className="hm-errata-text">
                <PlainText>{v.installed}</PlainText>
              </Td>
              <Td dataLabel="Fixed in" className="hm-errata-text">
                <PlainText>{v.fixed}</PlainText>
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </div>
  );
}

/** "today", "1 day ago", "2,380 days ago": UTC days since the release day, as the grade counts. */
function age(released: string, now: number): string {
  const day = (ms: number) => Math.floor(ms / DAY_MS);
  const days = day(now) - day(Date.parse(released));
  if (Number.isNaN(days) || days < 0) {
    return '';
  }
  return days === 0 ? 'today' : `${days.toLocaleString()} ${days === 1 ? 'day' : 'days'} ago`;
}
