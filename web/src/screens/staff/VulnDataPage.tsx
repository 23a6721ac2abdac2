/** Staff: how fresh the vulnerability data is (sources, last import / sync, counts, stale warning). */
import {
  Alert,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { api, ok, problemOf } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate } from '../../format';
import './staff.css';

/** The vulnerability data screen. */
export default function VulnDataPage() {
  return <RequireSession staff>{() => <VulnData />}</RequireSession>;
}

function VulnData() {
  const query = useQuery({
    queryKey: ['staff', 'vulndb'],
    queryFn: async () => ok(await api.GET('/api/v1/vulndb')),
  });
  if (query.isPending) {
    return <Loading label="Loading the vulnerability data status" />;
  }
  if (query.isError) {
    return (
      <PageSection>
        <ProblemAlert problem={problemOf(query.error)} />
      </PageSection>
    );
  }
  const v = query.data;
  const rows: [string, string][] = [
    ['Source', v.path],
    ['Documents (CSAF / VEX)', String(v.documents)],
    ['Repositories', String(v.repositories)],
    ['Last import', formatDate(v.lastImport)],
    ['Last sync', formatDate(v.lastSync)],
    ['Last recompute', formatDate(v.lastRecompute)],
    ['Age', v.ageDays === null ? 'Never imported' : `${v.ageDays} days (at most ${v.maxAgeDays})`],
  ];
  return (
    <PageSection>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Vulnerability data
      </Title>
      {v.stale ? (
        <Alert variant="warning" isInline title="The vulnerability data is stale">
          {v.warning ?? `It is older than ${v.maxAgeDays} days: run a sync.`}
        </Alert>
      ) : (
        <Alert variant="success" isInline title="The vulnerability data is fresh" />
      )}
      <DescriptionList isHorizontal className="hm-staff-wrap">
        {rows.map(([term, value]) => (
          <DescriptionListGroup key={term}>
            <DescriptionListTerm>{term}</DescriptionListTerm>
            <DescriptionListDescription>{value}</DescriptionListDescription>
          </DescriptionListGroup>
        ))}
      </DescriptionList>
    </PageSection>
  );
}
