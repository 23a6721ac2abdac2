/**
 * An image's catalog page: grade and its history, next drop date, the pull command, tags,
 * digest, vendor, product (with logo), assessments and packages. Everything is text from the API:
 * React escapes it; links are followed only when they are http(s).
 */
import {
  Breadcrumb,
  BreadcrumbItem,
  Card,
  CardBody,
  CardTitle,
  ClipboardCopy,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  FlexItem,
  Gallery,
  LabelGroup,
  PageSection,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf } from '../api/client';
import { GradeBadge } from '../components/GradeBadge';
import { GradeHistory } from '../components/GradeHistory';
import { ImageName } from '../components/ImageName';
import { Loading } from '../components/Loading';
import { PlainText } from '../components/PlainText';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatDate, httpUrl } from '../format';
import { TextLabel } from '../components/TextLabel';

const OUTCOMES: Record<string, { text: string; color: 'green' | 'red' | 'orange' }> = {
  pass: { text: '✓ Passed', color: 'green' },
  fail: { text: '✗ Failed', color: 'red' },
  error: { text: 'Error', color: 'orange' },
};

/** One published image. */
export default function CatalogImagePage() {
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: ['catalog-image', id],
    queryFn: async () =>
      ok(await api.GET('/api/v1/catalog/images/{id}', { params: { path: { id } } })),
  });

  if (query.isLoading) {
    return <Loading label="Loading the image" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    return (
      <PageSection>
        <ProblemAlert
          problem={problem}
          title={
            problem.status === 404 || problem.status === 400
              ? 'No published image here'
              : 'The image could not be loaded'
          }
        />
        <p>
          <Link to="/catalog">Back to the catalog</Link>
        </p>
      </PageSection>
    );
  }
  const image = query.data;
  if (image === undefined) {
    return null;
  }
  const logo = httpUrl(image.product?.logoUrl);
  const productUrl = httpUrl(image.product?.url, 'refuse');

  return (
    <>
      <PageSection>
        <Breadcrumb>
          <BreadcrumbItem>
            <Link to="/catalog">Catalog</Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>{image.repository}</BreadcrumbItem>
        </Breadcrumb>
        <Flex alignItems={{ default: 'alignItemsCenter' }} gap={{ default: 'gapMd' }}>
          {logo === undefined ? null : (
            <FlexItem>
              <img
                src={logo}
                alt={`${image.product?.name ?? image.vendor.name} logo`}
                className="hm-logo"
              />
            </FlexItem>
          )}
          <FlexItem>
            <Title headingLevel="h1" size="2xl" className="hm-mono">
              <ImageName repository={image.repository} tag={image.tag} />
            </Title>
            <p>
              by <strong>{image.vendor.name}</strong>
              {image.product === null ? null : (
                <>
                  {' · '}
                  {productUrl === undefined ? (
                    image.product.name
                  ) : (
                    <a href={productUrl} rel="noopener noreferrer" target="_blank">
                      {image.product.name}
                    </a>
                  )}
                  {image.productVersion === null ? null : ` ${image.productVersion}`}
                </>
              )}
            </p>
          </FlexItem>
          <FlexItem>
            <span className="hm-grade-large">
              Health grade <GradeBadge grade={image.grade} />
            </span>
          </FlexItem>
        </Flex>
      </PageSection>
      <PageSection aria-labelledby="pull-title">
        <Title headingLevel="h2" id="pull-title" className="hm-title">
          Pull this image
        </Title>
        <ClipboardCopy
          isReadOnly
          isCode
          hoverTip="Copy the pull command"
          clickTip="Copied"
          textAriaLabel="Pull command"
          toggleAriaLabel="Show the pull command"
        >
          {image.pullCommand}
        </ClipboardCopy>
      </PageSection>
      <PageSection>
        <Gallery hasGutter minWidths={{ default: '100%', lg: '28rem' }}>
          <Card>
            <CardTitle component="h2">Details</CardTitle>
            <CardBody>
              <DescriptionList
                isCompact
                isHorizontal
                horizontalTermWidthModifier={{ default: '10rem' }}
              >
                <DescriptionListGroup>
                  <DescriptionListTerm>Grade</DescriptionListTerm>
                  <DescriptionListDescription>
                    <GradeBadge grade={image.grade} />
                  </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Next grade drop</DescriptionListTerm>
                  <DescriptionListDescription>
                    {image.nextDropDate === null ? 'None expected' : formatDate(image.nextDropDate)}
                  </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Tags</DescriptionListTerm>
                  <DescriptionListDescription>
                    <LabelGroup aria-label="Tags" numLabels={10}>
                      {image.tags.map((tag) => (
                        <TextLabel key={tag} isCompact>
                          {tag}
                        </TextLabel>
                      ))}
                    </LabelGroup>
                  </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Digest</DescriptionListTerm>
                  <DescriptionListDescription className="hm-digest">
                    {image.digest}
                  </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Vendor</DescriptionListTerm>
                  <DescriptionListDescription>{image.vendor.name}</DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Product</DescriptionListTerm>
                  <DescriptionListDescription>
                    {image.product?.name ?? '—'}
                  </DescriptionListDescription>
                </DescriptionListGroup>
                {image.releaseCategory === null ? null : (
                  <DescriptionListGroup>
                    <DescriptionListTerm>Release category</DescriptionListTerm>
                    <DescriptionListDescription>{image.releaseCategory}</DescriptionListDescription>
                  </DescriptionListGroup>
                )}
                {image.targetPlatform === null ? null : (
                  <DescriptionListGroup>
                    <DescriptionListTerm>Platform</DescriptionListTerm>
                    <DescriptionListDescription>
                      {image.targetPlatform} {image.targetPlatformVersion ?? ''}
                    </DescriptionListDescription>
                  </DescriptionListGroup>
                )}
                <DescriptionListGroup>
                  <DescriptionListTerm>Published</DescriptionListTerm>
                  <DescriptionListDescription>
                    {formatDate(image.publishedAt)}
                  </DescriptionListDescription>
                </DescriptionListGroup>
                <DescriptionListGroup>
                  <DescriptionListTerm>Scanned</DescriptionListTerm>
                  <DescriptionListDescription>
                    {formatDate(image.scannedAt)}
                  </DescriptionListDescription>
                </DescriptionListGroup>
              </DescriptionList>
            </CardBody>
          </Card>
          <Card>
            <CardTitle component="h2">Grade history</CardTitle>
            <CardBody>
              <GradeHistory history={image.gradeHistory} />
              <p>
                Next grade drop:{' '}
                {image.nextDropDate === null ? 'none expected' : formatDate(image.nextDropDate)}
              </p>
            </CardBody>
          </Card>
        </Gallery>
      </PageSection>
      {image.product === null || image.product.overview === '' ? null : (
        <PageSection>
          <Title headingLevel="h2" className="hm-title">
            About {image.product.name}
          </Title>
          <p>{image.product.overview}</p>
        </PageSection>
      )}
      <PageSection>
        <Title headingLevel="h2" className="hm-title">
          Assessments
        </Title>
        {image.assessments.length === 0 ? (
          <p>No assessment results.</p>
        ) : (
          <Table aria-label="Assessments" variant="compact" gridBreakPoint="grid-md">
            <Thead>
              <Tr>
                <Th>Assessment</Th>
                <Th>Result</Th>
                <Th>Details</Th>
              </Tr>
            </Thead>
            <Tbody>
              {image.assessments.map((a) => {
                const outcome = OUTCOMES[a.outcome] ?? {
                  text: a.outcome,
                  color: 'orange' as const,
                };
                const policy = httpUrl(a.url, 'refuse');
                return (
                  <Tr key={a.name}>
                    <Td dataLabel="Assessment">
                      {a.url.startsWith('/policy/') ? (
                        <Link to={a.url}>{a.name}</Link>
                      ) : policy === undefined ? (
                        a.name
                      ) : (
                        <a href={policy} rel="noopener noreferrer" target="_blank">
                          {a.name}
                        </a>
                      )}
                      {a.required ? null : ' (advisory)'}
                    </Td>
                    <Td dataLabel="Result">
                      <TextLabel color={outcome.color} isCompact>
                        {outcome.text}
                      </TextLabel>
                    </Td>
                    <Td dataLabel="Details">
                      {a.outcome === 'pass' ? a.reason : `${a.reason} ${a.suggestion}`.trim()}
                    </Td>
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        )}
      </PageSection>
      {Object.keys(image.labels).length === 0 ? null : (
        <PageSection>
          <Title headingLevel="h2" className="hm-title">
            Labels
          </Title>
          <DescriptionList isCompact isHorizontal>
            {Object.entries(image.labels).map(([k, v]) => (
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
      <PageSection>
        <Title headingLevel="h2" className="hm-title">
          Packages ({image.packages.length})
        </Title>
        {image.packages.length === 0 ? (
          <p>No rpm packages were found in this image.</p>
        ) : (
          <Table aria-label="Packages" variant="compact" gridBreakPoint="grid-md">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Version</Th>
                <Th>Architecture</Th>
              </Tr>
            </Thead>
            <Tbody>
              {image.packages.map((p) => (
                <Tr key={`${p.name}-${p.version}-${p.release}-${p.arch ?? ''}`}>
                  <Td dataLabel="Name">
                    <PlainText>{p.name}</PlainText>
                  </Td>
                  <Td dataLabel="Version" className="hm-mono">
                    {p.epoch === null || p.epoch === 0 ? '' : `${p.epoch}:`}
                    {p.version}-{p.release}
                  </Td>
                  <Td dataLabel="Architecture">{p.arch ?? '—'}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </PageSection>
    </>
  );
}
