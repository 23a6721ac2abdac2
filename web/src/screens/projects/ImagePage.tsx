/**
 * The scan details of one image: name, tag, digest, status and grade, the Hallmark build that made
 * it (commit, Dockerfile, base image and digest, with a link to the build), the security errata
 * behind the grade today (what a grade-drop e-mail links here for), the guide's Assessments (each
 * with its reason, how to fix it and the policy page), packages, the vulnerabilities the scan
 * found, a rescan button and the scan history.
 */
import {
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  PageSection,
  Stack,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import type { paths } from '../../api/schema';
import { ErrataTable } from '../../components/ErrataTable';
import { GradeBadge } from '../../components/GradeBadge';
import { GradeErrata } from '../../components/GradeErrata';
import { ImageName } from '../../components/ImageName';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { PlainText } from '../../components/PlainText';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { TextLabel } from '../../components/TextLabel';
import { formatDate } from '../../format';
import './projects.css';

/** The scan details screen. */
export default function ImagePage() {
  return <RequireSession>{() => <ImageDetails />}</RequireSession>;
}

/** ✓ / ✗ / error for an assessment outcome. */
function Outcome({ outcome }: { outcome: string }) {
  if (outcome === 'passed' || outcome === 'pass') {
    return <TextLabel color="green">✓ passed</TextLabel>;
  }
  if (outcome === 'failed' || outcome === 'fail') {
    return <TextLabel color="red">✗ failed</TextLabel>;
  }
  return <TextLabel color="orange">{outcome}</TextLabel>;
}

/** The scan details as the API shows them. */
type ImageData =
  paths['/api/v1/images/{id}']['get']['responses'][200]['content']['application/json'];
/** The image's build, when Hallmark built it from git. */
type ImageBuild = NonNullable<ImageData['build']>;

/** What the image was built from, and a link to its build (state, phases, log). */
function BuiltBy({ build }: { build: ImageBuild }) {
  return (
    <PageSection aria-labelledby="build-title">
      <Title headingLevel="h2" id="build-title" className="hm-title">
        Build
      </Title>
      <p>
        Hallmark built this image from git: <Link to={`/builds/${build.id}`}>see the build</Link>{' '}
        with its phases and log.
      </p>
      <DescriptionList isHorizontal isCompact aria-label="Build of the image">
        <DescriptionListGroup>
          <DescriptionListTerm>Commit</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {build.commit ?? '—'}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Dockerfile</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {build.dockerfile}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Base image</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {build.baseImage ?? 'none (scratch)'}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Base image digest</DescriptionListTerm>
          <DescriptionListDescription className="hm-projects-mono">
            {build.baseDigest ?? '—'}
          </DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
    </PageSection>
  );
}

function ImageDetails() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const image = useQuery({
    queryKey: ['image', id],
    queryFn: async () => ok(await api.GET('/api/v1/images/{id}', { params: { path: { id } } })),
    retry: false,
    refetchInterval: (q) => (q.state.data?.status === 'scan_in_progress' ? 2000 : false),
  });
  const scans = useQuery({
    queryKey: ['image', id, 'scans'],
    enabled: image.isSuccess,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/images/{id}/scans', {
          params: { path: { id }, query: { pageSize: 50 } },
        }),
      ),
  });
  const rescan = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/api/v1/images/{id}/scan', { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['image', id] }),
  });
  if (image.isLoading) {
    return <Loading label="Loading the image" />;
  }
  if (image.isError) {
    const problem = problemOf(image.error);
    if (problem.status === 404 || problem.status === 403) {
      return (
        <NotFound title="Image not found" detail="There is no such image, or it is not yours." />
      );
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The image could not be loaded" />
      </PageSection>
    );
  }
  const img = image.data;
  if (img === undefined) {
    return null;
  }
  const labels = Object.entries(img.labels);
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Scan details
        </Title>
        <p>
          <ImageName repository={img.repository} tag={img.tag} />
        </p>
        <DescriptionList isHorizontal isCompact>
          <DescriptionListGroup>
            <DescriptionListTerm>Tag</DescriptionListTerm>
            <DescriptionListDescription className="hm-projects-mono">
              {img.tag}
            </DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Digest</DescriptionListTerm>
            <DescriptionListDescription className="hm-projects-mono">
              {img.digest}
            </DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Status</DescriptionListTerm>
            <DescriptionListDescription>{img.statusLabel}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Grade</DescriptionListTerm>
            <DescriptionListDescription>
              <GradeBadge grade={img.grade} />
            </DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Scanned</DescriptionListTerm>
            <DescriptionListDescription>{formatDate(img.scannedAt)}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Project</DescriptionListTerm>
            <DescriptionListDescription>
              <Link to={`/projects/${img.projectId}/images`}>
                Back to the project&apos;s images
              </Link>
            </DescriptionListDescription>
          </DescriptionListGroup>
        </DescriptionList>
        <p>
          <Button
            variant="secondary"
            isLoading={rescan.isPending}
            isDisabled={rescan.isPending || img.status === 'scan_in_progress'}
            onClick={() => rescan.mutate()}
          >
            Rescan
          </Button>
        </p>
        <ProblemAlert
          problem={rescan.isError ? problemOf(rescan.error) : undefined}
          title="The rescan was refused"
        />
      </PageSection>
      {img.build === null ? null : <BuiltBy build={img.build} />}
      <PageSection aria-labelledby="errata-now-title">
        <Title headingLevel="h2" id="errata-now-title" className="hm-title">
          Security errata missing now
        </Title>
        <GradeErrata imageId={img.id} scannedAt={img.scannedAt} />
      </PageSection>
      <PageSection aria-labelledby="assessments-title">
        <Title headingLevel="h2" id="assessments-title" className="hm-title">
          Assessments
        </Title>
        {img.assessments.length === 0 ? (
          <p>
            No assessments yet{img.status === 'scan_in_progress' ? ': the scan is running.' : '.'}
          </p>
        ) : (
          <div className="hm-table-wrap">
            <Table aria-label="Assessments" gridBreakPoint="grid-md" variant="compact">
              <Thead>
                <Tr>
                  <Th>Name</Th>
                  <Th>Result</Th>
                  <Th>Reason</Th>
                  <Th>How to fix it</Th>
                  <Th>Policy</Th>
                </Tr>
              </Thead>
              <Tbody>
                {img.assessments.map((a) => (
                  <Tr key={a.name}>
                    <Td dataLabel="Name">
                      {a.name}
                      {a.required ? null : ' (advisory)'}
                    </Td>
                    <Td dataLabel="Result">
                      <Outcome outcome={a.outcome} />
                    </Td>
                    <Td dataLabel="Reason" modifier="breakWord">
                      <PlainText>{a.reason}</PlainText>
                    </Td>
                    <Td dataLabel="How to fix it" modifier="breakWord">
                      <PlainText>{a.suggestion}</PlainText>
                    </Td>
                    <Td dataLabel="Policy">
                      {a.url.startsWith('/') ? (
                        <Link to={a.url}>Policy</Link>
                      ) : a.url === '' ? (
                        '—'
                      ) : (
                        <a href={a.url}>Policy</a>
                      )}
                    </Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
          </div>
        )}
      </PageSection>
      {labels.length === 0 ? null : (
        <PageSection aria-labelledby="labels-title">
          <Title headingLevel="h2" id="labels-title" className="hm-title">
            Labels
          </Title>
          <DescriptionList isCompact>
            {labels.map(([k, v]) => (
              <DescriptionListGroup key={k}>
                <DescriptionListTerm>
                  <PlainText>{k}</PlainText>
                </DescriptionListTerm>
                <DescriptionListDescription>
                  <PlainText>{v}</PlainText>
                </DescriptionListDescription>
              </DescriptionListGroup>
            ))}
          </DescriptionList>
        </PageSection>
      )}
      <PageSection aria-labelledby="packages-title">
        <Title headingLevel="h2" id="packages-title" className="hm-title">
          Packages
        </Title>
        {img.packages.length === 0 ? (
          <p>No packages found.</p>
        ) : (
          <Table aria-label="Packages" gridBreakPoint="grid-md" variant="compact">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Version</Th>
                <Th>Vendor</Th>
              </Tr>
            </Thead>
            <Tbody>
              {img.packages.map((p, i) => (
                <Tr key={`${p.name}-${i}`}>
                  <Td dataLabel="Name">
                    <PlainText>{p.name}</PlainText>
                  </Td>
                  <Td dataLabel="Version">
                    <PlainText>{`${p.version}-${p.release}`}</PlainText>
                  </Td>
                  <Td dataLabel="Vendor">
                    <PlainText>{p.vendor ?? '—'}</PlainText>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
      <PageSection aria-labelledby="vulns-title">
        <Title headingLevel="h2" id="vulns-title" className="hm-title">
          Vulnerabilities at scan time
        </Title>
        {img.vulnerabilities === null ? (
          <p>Not assessed.</p>
        ) : (
          <Stack hasGutter>
            <p>
              What the scan of {formatDate(img.scannedAt)} found
              {img.health === null ? '' : `, when the grade was ${img.health.grade}`}. The errata
              the grade counts today, with advisories imported since, are under Security errata
              missing now.
            </p>
            {img.vulnerabilities.length === 0 ? (
              <p>No known vulnerabilities without an applied fix at scan time.</p>
            ) : (
              <ErrataTable errata={img.vulnerabilities} label="Vulnerabilities at scan time" />
            )}
          </Stack>
        )}
      </PageSection>
      <PageSection aria-labelledby="history-title">
        <Title headingLevel="h2" id="history-title" className="hm-title">
          Scan history
        </Title>
        {scans.isLoading ? (
          <Loading label="Loading the scan history" />
        ) : scans.isError ? (
          <ProblemAlert
            problem={problemOf(scans.error)}
            title="The scan history could not be loaded"
          />
        ) : (
          <Table aria-label="Scan history" gridBreakPoint="grid-md" variant="compact">
            <Thead>
              <Tr>
                <Th>Queued</Th>
                <Th>Finished</Th>
                <Th>Why</Th>
                <Th>Status</Th>
                <Th>Failed assessments</Th>
              </Tr>
            </Thead>
            <Tbody>
              {(scans.data?.items ?? []).map((s) => (
                <Tr key={s.id}>
                  <Td dataLabel="Queued">{formatDate(s.queuedAt)}</Td>
                  <Td dataLabel="Finished">{formatDate(s.finishedAt)}</Td>
                  <Td dataLabel="Why">{s.reason}</Td>
                  <Td dataLabel="Status">{s.status.replaceAll('_', ' ')}</Td>
                  <Td dataLabel="Failed assessments">
                    {s.error !== null
                      ? s.error.message
                      : s.assessments
                          .filter((a) => a.outcome !== 'passed' && a.outcome !== 'pass')
                          .map((a) => a.name)
                          .join(', ') || 'None'}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
    </>
  );
}
