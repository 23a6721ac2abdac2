/**
 * The public catalog: published images, searched by name, vendor, product or grade, paged by the API's
 * keyset cursor. The filters and the cursor live in the URL, so a page can be linked and the
 * browser's Back goes to the previous page.
 */
import {
  Button,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  PageSection,
  TextInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { problemOf } from '../api/client';
import { GradeBadge } from '../components/GradeBadge';
import { ImageName } from '../components/ImageName';
import { Loading } from '../components/Loading';
import { Table, Tbody, Td, Th, Thead, Tr } from '../components/PlainTable';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatDate } from '../format';
import { CATALOG_FILTERS, catalogFilters, catalogQuery } from './catalogQuery';

/** The grades one can filter by; `Unknown` also finds images not graded yet. */
const GRADES = ['A', 'B', 'C', 'D', 'E', 'F', 'Unknown'] as const;
const FILTERS = CATALOG_FILTERS;

/** The catalog's search form and one page of results. */
export default function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const current = catalogFilters(params);
  const cursor = params.get('cursor') ?? undefined;
  const [draft, setDraft] = useState(current);

  const query = useQuery(catalogQuery(current, cursor));

  const search = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      if (draft[f].trim() !== '') {
        next.set(f, draft[f].trim());
      }
    }
    setParams(next);
  };

  const page = (nextCursor: string | undefined) => {
    const next = new URLSearchParams(params);
    if (nextCursor === undefined) {
      next.delete('cursor');
    } else {
      next.set('cursor', nextCursor);
    }
    setParams(next);
  };

  const filtered = FILTERS.some((f) => current[f] !== '');

  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Catalog
        </Title>
        <p>Certified container images, their health grades and how to pull them.</p>
      </PageSection>
      <PageSection>
        <Form onSubmit={search} aria-label="Search the catalog" className="hm-catalog-search">
          <FormGroup label="Name" fieldId="search">
            <TextInput
              id="search"
              type="search"
              value={draft.search}
              onChange={(_e, v) => setDraft((d) => ({ ...d, search: v }))}
              placeholder="Repository, tag, vendor or product"
            />
          </FormGroup>
          <FormGroup label="Vendor" fieldId="vendor">
            <TextInput
              id="vendor"
              value={draft.vendor}
              onChange={(_e, v) => setDraft((d) => ({ ...d, vendor: v }))}
            />
          </FormGroup>
          <FormGroup label="Product" fieldId="product">
            <TextInput
              id="product"
              value={draft.product}
              onChange={(_e, v) => setDraft((d) => ({ ...d, product: v }))}
            />
          </FormGroup>
          <FormGroup label="Grade" fieldId="grade">
            <FormSelect
              id="grade"
              value={draft.grade}
              onChange={(_e, v) => setDraft((d) => ({ ...d, grade: v }))}
            >
              <FormSelectOption value="" label="Any grade" />
              {GRADES.map((g) => (
                <FormSelectOption key={g} value={g} label={g} />
              ))}
            </FormSelect>
          </FormGroup>
          <div className="hm-catalog-search-actions">
            <Button type="submit">Search</Button>
            {filtered ? (
              <Button
                variant="link"
                onClick={() => {
                  setDraft({ search: '', vendor: '', product: '', grade: '' });
                  setParams(new URLSearchParams());
                }}
              >
                Clear
              </Button>
            ) : null}
          </div>
        </Form>
      </PageSection>
      <PageSection aria-live="polite" aria-busy={query.isFetching}>
        {query.isLoading ? (
          <Loading label="Loading the catalog" />
        ) : query.isError ? (
          <ProblemAlert problem={problemOf(query.error)} title="The catalog could not be loaded" />
        ) : query.data === undefined ? null : query.data.items.length === 0 ? (
          <EmptyState
            titleText={filtered ? 'No image matches' : 'No published images yet'}
            headingLevel="h2"
          >
            <EmptyStateBody>
              {filtered
                ? 'Try another name, or clear the vendor, product and grade.'
                : 'Images appear here once a partner publishes them.'}
            </EmptyStateBody>
          </EmptyState>
        ) : (
          <>
            <Table aria-label="Published images" gridBreakPoint="grid-md" variant="compact">
              <Thead>
                <Tr>
                  <Th>Image</Th>
                  <Th>Vendor</Th>
                  <Th>Product</Th>
                  <Th>Grade</Th>
                  <Th>Published</Th>
                </Tr>
              </Thead>
              <Tbody>
                {query.data.items.map((item) => (
                  <Tr key={item.id}>
                    <Td dataLabel="Image">
                      <Link to={`/catalog/${item.id}`} className="hm-mono">
                        <ImageName repository={item.repository} tag={item.tag} />
                      </Link>
                    </Td>
                    <Td dataLabel="Vendor">{item.vendor.name}</Td>
                    <Td dataLabel="Product">{item.product?.name ?? '—'}</Td>
                    <Td dataLabel="Grade">
                      <GradeBadge grade={item.grade} />
                    </Td>
                    <Td dataLabel="Published">{formatDate(item.publishedAt)}</Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
            <Toolbar aria-label="Pages">
              <ToolbarContent>
                <ToolbarGroup>
                  <ToolbarItem>
                    <Button
                      variant="secondary"
                      isDisabled={cursor === undefined}
                      onClick={() => page(undefined)}
                    >
                      First page
                    </Button>
                  </ToolbarItem>
                  <ToolbarItem>
                    <Button
                      variant="secondary"
                      isDisabled={query.data?.nextCursor === null}
                      onClick={() => page(query.data?.nextCursor ?? undefined)}
                    >
                      Next page
                    </Button>
                  </ToolbarItem>
                </ToolbarGroup>
              </ToolbarContent>
            </Toolbar>
          </>
        )}
      </PageSection>
    </>
  );
}
