/**
 * The company's users (`/companies/:id/users`): Active / Inactive / All, 10 a page, a filter, the
 * guide's columns and the user type; org admins add a user (an invitation e-mail lets them set a
 * password), edit one (names, position, department, the Org Admin flag) and deactivate or
 * reactivate users behind a confirmation. Other members see no admin actions.
 */
import {
  Button,
  EmptyState,
  EmptyStateBody,
  Flex,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Pagination,
  SearchInput,
  Title,
  ToggleGroup,
  ToggleGroupItem,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ok, problemOf, type Problem, type User } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { TextLabel } from '../../components/TextLabel';
import { formatDate } from '../../format';
import { CompanyNotFound, isNotFound, useCompany } from './parts';
import { AddUserDialog, EditUserDialog, type CompanyUser } from './UserDialogs';
import './company.css';

type Status = 'active' | 'inactive' | 'all';
const STATUSES: readonly { value: Status; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'inactive', label: 'Inactive' },
  { value: 'all', label: 'All' },
];
const PAGE_SIZE = 10;

/** The users screen. */
export default function CompanyUsersPage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <Users id={id} user={user} />}</RequireSession>;
}

function Users({ id, user }: { id: string; user: User }) {
  const company = useCompany(id);
  if (company.isLoading) {
    return <Loading label="Loading the company" />;
  }
  if (company.isError) {
    const problem = problemOf(company.error);
    return isNotFound(problem) ? (
      <CompanyNotFound />
    ) : (
      <PageSection>
        <ProblemAlert problem={problem} title="The company could not be loaded" />
      </PageSection>
    );
  }
  if (company.data === undefined) {
    return null;
  }
  const admin = user.staff || (user.orgAdmin && user.companyId === id);
  return (
    <>
      <PageSection>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          Users of {company.data.name}
        </Title>
        <p>
          <Link to={`/companies/${id}`}>Back to the company dashboard</Link>
        </p>
      </PageSection>
      {admin ? (
        <UserList companyId={id} me={user} />
      ) : (
        <PageSection>
          <EmptyState titleText="Only organization administrators manage users" headingLevel="h2">
            <EmptyStateBody>
              Ask an organization administrator of {company.data.name} to add, change or deactivate
              users.
            </EmptyStateBody>
          </EmptyState>
        </PageSection>
      )}
    </>
  );
}

interface Target {
  readonly id: string;
  readonly login: string;
  readonly activate: boolean;
}

function UserList({ companyId, me }: { companyId: string; me: User }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<Status>('active');
  const [page, setPage] = useState(1);
  const [filterText, setFilterText] = useState('');
  const [filter, setFilter] = useState('');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<CompanyUser | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [target, setTarget] = useState<Target | undefined>(undefined);
  const [changeProblem, setChangeProblem] = useState<Problem | undefined>(undefined);
  const key = ['companies', companyId, 'users'] as const;
  const query = useQuery({
    queryKey: [...key, status, page, filter],
    placeholderData: keepPreviousData,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/companies/{id}/users', {
          params: {
            path: { id: companyId },
            query: {
              status,
              page,
              pageSize: PAGE_SIZE,
              ...(filter === '' ? {} : { filter }),
            },
          },
        }),
      ),
  });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: key });
    void client.invalidateQueries({ queryKey: ['companies', companyId, 'dashboard'] });
  };
  const change = useMutation({
    mutationFn: async (t: Target) =>
      ok(
        await api.POST(
          t.activate
            ? '/api/v1/companies/{id}/users/{userId}/activate'
            : '/api/v1/companies/{id}/users/{userId}/deactivate',
          { params: { path: { id: companyId, userId: t.id } } },
        ),
      ),
    onSuccess: () => {
      setTarget(undefined);
      setChangeProblem(undefined);
      refresh();
    },
    onError: (err) => setChangeProblem(problemOf(err)),
  });

  const pick = (next: Status) => {
    setStatus(next);
    setPage(1);
  };

  return (
    <PageSection aria-labelledby="list-title" aria-busy={query.isFetching}>
      <Title headingLevel="h2" id="list-title" className="hm-title">
        User list
      </Title>
      {/* Always there, so that screen readers announce what appears in it. */}
      <p className={notice === undefined ? undefined : 'hm-company-gap'} role="status">
        {notice}
      </p>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <ToggleGroup aria-label="Which users">
              {STATUSES.map((s) => (
                <ToggleGroupItem
                  key={s.value}
                  text={s.label}
                  buttonId={`status-${s.value}`}
                  isSelected={status === s.value}
                  onChange={() => pick(s.value)}
                />
              ))}
            </ToggleGroup>
          </ToolbarItem>
          <ToolbarItem>
            <SearchInput
              aria-label="Filter users"
              placeholder="Filter by name, login, e-mail…"
              value={filterText}
              onChange={(_e, v) => setFilterText(v)}
              onSearch={(_e, v) => {
                setFilter(v.trim());
                setPage(1);
              }}
              onClear={() => {
                setFilterText('');
                setFilter('');
                setPage(1);
              }}
            />
          </ToolbarItem>
          <ToolbarItem>
            <Button variant="primary" onClick={() => setAdding(true)}>
              Add new user
            </Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <p className="hm-company-muted">Displaying {PAGE_SIZE} users per page.</p>
      {query.isLoading ? (
        <Loading label="Loading users" />
      ) : query.isError ? (
        <ProblemAlert problem={problemOf(query.error)} title="Users could not be loaded" />
      ) : query.data === undefined ? null : query.data.items.length === 0 ? (
        <EmptyState titleText="No user entries were found." headingLevel="h3">
          <EmptyStateBody>
            {filter === '' ? 'Choose another list above.' : 'Try another filter.'}
          </EmptyStateBody>
        </EmptyState>
      ) : (
        <>
          <Table aria-label="Users" variant="compact" gridBreakPoint="grid-lg">
            <Thead>
              <Tr>
                <Th modifier="wrap">Username</Th>
                <Th modifier="wrap">First Name</Th>
                <Th modifier="wrap">Last Name</Th>
                <Th modifier="wrap">Position</Th>
                <Th modifier="wrap">Department</Th>
                <Th modifier="wrap">User type</Th>
                <Th modifier="wrap">Created</Th>
                <Th modifier="wrap">Updated</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {query.data.items.map((u) => {
                const inactive = u.status === 'inactive' || u.status === 'disabled';
                return (
                  <Tr key={u.id}>
                    <Td dataLabel="Username">
                      {u.login}{' '}
                      {u.status === 'unconfirmed' ? (
                        <TextLabel isCompact color="orange">
                          Invited
                        </TextLabel>
                      ) : inactive ? (
                        <TextLabel isCompact>Inactive</TextLabel>
                      ) : null}
                    </Td>
                    <Td dataLabel="First Name">{u.firstName}</Td>
                    <Td dataLabel="Last Name">{u.lastName}</Td>
                    <Td dataLabel="Position">{u.position ?? '—'}</Td>
                    <Td dataLabel="Department">{u.department ?? '—'}</Td>
                    <Td dataLabel="User type">{u.orgAdmin ? 'Org Admin' : 'User'}</Td>
                    <Td dataLabel="Created">{formatDate(u.createdAt)}</Td>
                    <Td dataLabel="Updated">{formatDate(u.updatedAt)}</Td>
                    <Td dataLabel="Actions">
                      {/* Side by side on a wide table; stacked in the narrow grid. */}
                      <Flex
                        spaceItems={{ default: 'spaceItemsSm' }}
                        flexWrap={{ default: 'wrap', lg: 'nowrap' }}
                      >
                        <Button
                          variant="secondary"
                          aria-label={`Edit ${u.login}`}
                          onClick={() => setEditing(u)}
                        >
                          Edit
                        </Button>
                        {u.id === me.id ? null : inactive ? (
                          <Button
                            variant="secondary"
                            onClick={() => setTarget({ id: u.id, login: u.login, activate: true })}
                          >
                            Reactivate
                          </Button>
                        ) : (
                          <Button
                            variant="secondary"
                            isDanger
                            onClick={() => setTarget({ id: u.id, login: u.login, activate: false })}
                          >
                            Deactivate
                          </Button>
                        )}
                      </Flex>
                    </Td>
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
          <Pagination
            itemCount={query.data.total}
            perPage={PAGE_SIZE}
            page={page}
            perPageOptions={[{ title: String(PAGE_SIZE), value: PAGE_SIZE }]}
            onSetPage={(_e, p) => setPage(p)}
            variant="bottom"
            isCompact
            titles={{ paginationAriaLabel: 'Pages of users' }}
          />
        </>
      )}
      <Modal
        variant="small"
        isOpen={target !== undefined}
        onClose={() => setTarget(undefined)}
        aria-labelledby="change-title"
      >
        <ModalHeader
          title={target?.activate === true ? 'Reactivate this user?' : 'Deactivate this user?'}
          labelId="change-title"
        />
        <ModalBody>
          {target?.activate === true
            ? `${target.login} can log in and work for the company again.`
            : `${target?.login ?? ''} can no longer log in; their sessions end at once. You can reactivate them later.`}
          <ProblemAlert problem={changeProblem} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant={target?.activate === true ? 'primary' : 'danger'}
            isLoading={change.isPending}
            isDisabled={change.isPending}
            onClick={() => target !== undefined && change.mutate(target)}
          >
            {target?.activate === true ? 'Reactivate' : 'Deactivate'}
          </Button>
          <Button variant="link" onClick={() => setTarget(undefined)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
      {adding ? (
        <AddUserDialog
          companyId={companyId}
          onClose={() => setAdding(false)}
          onAdded={(login) => {
            setAdding(false);
            setNotice(`${login} was added and e-mailed an invitation to choose a password.`);
            refresh();
          }}
        />
      ) : null}
      {editing === undefined ? null : (
        <EditUserDialog
          companyId={companyId}
          user={editing}
          self={editing.id === me.id}
          onClose={() => setEditing(undefined)}
          onSaved={(saved) => {
            setEditing(undefined);
            setNotice(`The changes to ${saved.login} are saved.`);
            refresh();
            // Their own name or Org Admin flag: the masthead and this page follow the session.
            if (saved.id === me.id) {
              void client.invalidateQueries({ queryKey: ['session'] });
            }
          }}
        />
      )}
    </PageSection>
  );
}
