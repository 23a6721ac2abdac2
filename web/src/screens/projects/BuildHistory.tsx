/**
 * A project's build history, newest first: state, trigger, tag, commit, start, duration and the
 * image each build made, filtered by state and trigger, 10 a page. Refreshed every 3 s while a
 * build on the page runs.
 */
import {
  EmptyState,
  EmptyStateBody,
  FormGroup,
  FormSelect,
  FormSelectOption,
} from '@patternfly/react-core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, ok, problemOf } from '../../api/client';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { Loading } from '../../components/Loading';
import { Table, Tbody, Td, Th, Thead, Tr } from '../../components/PlainTable';
import { ProblemAlert } from '../../components/ProblemAlert';
import {
  BUILD_STATUSES,
  BUILD_TRIGGERS,
  formatSeconds,
  formatTime,
  isFinal,
  shortCommit,
  STATUS_LABELS,
  TRIGGER_LABELS,
  type BuildStatus,
  type BuildTrigger,
} from './builds';
import { TextLabel } from '../../components/TextLabel';

const PAGE_SIZE = 10;

/** The history of project `projectId`'s builds. */
export function BuildHistory({ projectId }: { projectId: string }) {
  const [status, setStatus] = useState<BuildStatus | ''>('');
  const [trigger, setTrigger] = useState<BuildTrigger | ''>('');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const query = useQuery({
    queryKey: ['project', projectId, 'builds', { status, trigger, cursor }],
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/projects/{id}/builds', {
          params: {
            path: { id: projectId },
            query: {
              pageSize: PAGE_SIZE,
              ...(status === '' ? {} : { status }),
              ...(trigger === '' ? {} : { trigger }),
              ...(cursor === undefined ? {} : { cursor }),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (q) =>
      q.state.data?.items.some((b) => !isFinal(b.status)) === true ? 3000 : false,
  });
  const filtered = status !== '' || trigger !== '';
  return (
    <div className="hm-projects-stack">
      <div className="hm-build-filters" role="search" aria-label="Filter the builds">
        <FormGroup label="Status" fieldId="build-status-filter">
          <FormSelect
            id="build-status-filter"
            value={status}
            onChange={(_e, v) => {
              setStatus(v as BuildStatus | '');
              pages.reset();
            }}
          >
            <FormSelectOption value="" label="Any status" />
            {BUILD_STATUSES.map((s) => (
              <FormSelectOption key={s} value={s} label={STATUS_LABELS[s].text} />
            ))}
          </FormSelect>
        </FormGroup>
        <FormGroup label="Trigger" fieldId="build-trigger-filter">
          <FormSelect
            id="build-trigger-filter"
            value={trigger}
            onChange={(_e, v) => {
              setTrigger(v as BuildTrigger | '');
              pages.reset();
            }}
          >
            <FormSelectOption value="" label="Any trigger" />
            {BUILD_TRIGGERS.map((t) => (
              <FormSelectOption key={t} value={t} label={TRIGGER_LABELS[t]} />
            ))}
          </FormSelect>
        </FormGroup>
      </div>
      {query.isPending ? (
        <Loading label="Loading the builds" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="The builds could not be loaded" />
      ) : query.data.items.length === 0 ? (
        <EmptyState titleText={filtered ? 'No builds match' : 'No builds yet'} headingLevel="h3">
          <EmptyStateBody>
            {filtered
              ? 'No build of this project has that status and trigger.'
              : 'Start a build with a tag: Hallmark clones the git source, builds the image, pushes it to the project and scans it.'}
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <>
          <Table aria-label="Build history" variant="compact">
            <Thead>
              <Tr>
                <Th>Status</Th>
                <Th>Tag</Th>
                <Th>Trigger</Th>
                <Th>Commit</Th>
                <Th>Started</Th>
                <Th>Duration</Th>
                <Th>Image</Th>
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((b) => (
                <Tr key={b.id}>
                  <Td dataLabel="Status">
                    <TextLabel color={STATUS_LABELS[b.status].color} isCompact>
                      {STATUS_LABELS[b.status].text}
                    </TextLabel>
                  </Td>
                  <Td dataLabel="Tag" className="hm-projects-mono">
                    <Link to={`/builds/${b.id}`} aria-label={`Build ${b.tag}`}>
                      {b.tag}
                    </Link>
                  </Td>
                  <Td dataLabel="Trigger">{TRIGGER_LABELS[b.trigger]}</Td>
                  <Td dataLabel="Commit" className="hm-projects-mono">
                    <span title={b.commit ?? undefined}>{shortCommit(b.commit)}</span>
                  </Td>
                  <Td dataLabel="Started">{formatTime(b.startedAt)}</Td>
                  <Td dataLabel="Duration">
                    {isFinal(b.status) ? formatSeconds(b.durations.total) : 'running'}
                  </Td>
                  <Td dataLabel="Image">
                    {b.imageId === null ? (
                      '—'
                    ) : (
                      <Link to={`/images/${b.imageId}`} aria-label={`Scan details of ${b.tag}`}>
                        Scan details
                      </Link>
                    )}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          <CursorPager pages={pages} nextCursor={query.data.nextCursor} label="Build pages" />
        </>
      )}
    </div>
  );
}
