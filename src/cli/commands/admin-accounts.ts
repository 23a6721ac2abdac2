/**
 * `hallmark admin create-staff | reset-password | list-companies | list-projects | list-users`:
 * getting into the portal and seeing what is in it without the portal, through the services of
 * the accounts, companies and projects modules.
 */
import type { Config } from '../../platform/config.js';
import {
  createStaffAccount,
  listAccounts,
  resetPassword,
  type UserView,
} from '../../modules/accounts/index.js';
import { listCompanies } from '../../modules/companies/index.js';
import { allProjects } from '../../modules/projects/index.js';
import { projectFacts } from '../../server/ports.js';
import { formatTable } from '../output/table.js';
import { operator, withServices } from './admin-context.js';
import { companyNamed } from './admin.js';

/** `admin create-staff LOGIN [--email E] [--password-stdin]`. */
export async function adminCreateStaff(
  config: Config,
  input: { login: string; email?: string | undefined; password?: string | undefined },
  json: boolean,
): Promise<string> {
  const by = operator();
  const created = await withServices(config, (ctx) => createStaffAccount(ctx, input, by));
  if (json) {
    return JSON.stringify({
      id: created.user.id,
      login: created.user.login,
      email: created.user.email,
      ...(created.generated ? { password: created.password } : {}),
    });
  }
  return created.generated
    ? `Created the staff account ${created.user.login} with password ${created.password} (shown only now; \`hallmark admin reset-password ${created.user.login}\` replaces it).`
    : `Created the staff account ${created.user.login} with the password read from stdin.`;
}

/** `admin reset-password LOGIN [--link]`. */
export async function adminResetPassword(
  config: Config,
  login: string,
  link: boolean,
  json: boolean,
): Promise<string> {
  const by = operator();
  const reset = await withServices(config, (ctx) => resetPassword(ctx, login, { link }, by));
  if (json) {
    return reset.kind === 'link'
      ? JSON.stringify({ login: reset.user.login, link: reset.link, expiresAt: reset.expiresAt })
      : JSON.stringify({ login: reset.user.login, password: reset.password });
  }
  const inactive =
    reset.user.status === 'active'
      ? []
      : [`(the account is ${reset.user.status}: it cannot log in until that changes)`];
  if (reset.kind === 'password') {
    return [
      `New password of ${reset.user.login}: ${reset.password} (its sessions were ended).`,
      ...inactive,
    ].join('\n');
  }
  return [
    `Password-reset link for ${reset.user.login}, valid until ${reset.expiresAt}:`,
    reset.link,
    ...(config.server.publicUrl === undefined
      ? ['(server.publicUrl is unset: the link names localhost; set HALLMARK_PUBLIC_URL)']
      : []),
    ...inactive,
  ].join('\n');
}

/** `admin list-companies [--json]`. */
export async function adminListCompanies(config: Config, json: boolean): Promise<string> {
  const companies = await withServices(config, (ctx) => listCompanies(ctx.db));
  return json
    ? JSON.stringify(companies)
    : formatTable(
        ['ID', 'NAME', 'CREATED', 'PARTNER SINCE', 'PROFILE'],
        companies.map((c) => [
          c.id,
          c.name,
          day(c.createdAt),
          c.partnerSince === null ? '-' : day(c.partnerSince),
          c.profileComplete ? 'complete' : 'incomplete',
        ]),
        'No companies.',
      );
}

/** `admin list-projects [--company NAME] [--json]`. */
export async function adminListProjects(
  config: Config,
  company: string | undefined,
  json: boolean,
): Promise<string> {
  const { projects, names } = await withServices(config, async (ctx) => {
    const only = company === undefined ? undefined : await companyNamed(ctx, company);
    return {
      projects: await allProjects(ctx.db, projectFacts, only?.id),
      names: await companyNames(ctx.db),
    };
  });
  return json
    ? JSON.stringify(projects)
    : formatTable(
        ['ID', 'COMPANY', 'NAME', 'NAMESPACE', 'KEY', 'CREATED'],
        projects.map((p) => [
          p.id,
          names.get(p.companyId) ?? p.companyId,
          p.name,
          p.namespace,
          `${p.registryKeyPrefix}…`,
          day(p.registeredAt),
        ]),
        'No projects.',
      );
}

/** `admin list-users [--company NAME] [--staff] [--json]`. */
export async function adminListUsers(
  config: Config,
  filter: { company?: string | undefined; staff: boolean },
  json: boolean,
): Promise<string> {
  const { users, names } = await withServices(config, async (ctx) => {
    const only = filter.company === undefined ? undefined : await companyNamed(ctx, filter.company);
    return {
      users: await listAccounts(ctx.db, { companyId: only?.id, staff: filter.staff }),
      names: await companyNames(ctx.db),
    };
  });
  return json
    ? JSON.stringify(users)
    : formatTable(
        ['LOGIN', 'EMAIL', 'STATUS', 'ROLE', 'COMPANY', 'LAST ACCESS'],
        users.map((u) => [
          u.login,
          u.email,
          u.status,
          role(u),
          u.companyId === null ? '-' : (names.get(u.companyId) ?? u.companyId),
          u.lastAccessAt === null ? 'never' : u.lastAccessAt.slice(0, 16).replace('T', ' '),
        ]),
        'No users.',
      );
}

function role(u: UserView): string {
  return u.staff ? 'staff' : u.orgAdmin ? 'org admin' : u.companyId === null ? 'user' : 'member';
}

async function companyNames(db: Parameters<typeof listCompanies>[0]): Promise<Map<string, string>> {
  return new Map((await listCompanies(db)).map((c) => [c.id, c.name]));
}

function day(iso: string): string {
  return iso.slice(0, 10);
}
