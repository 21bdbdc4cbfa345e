/** cairn tenants [create | members | add-member | remove-member]: tenants and who belongs to them. */
import type { CliEnvironment } from '../context.ts';
import { printJson, table } from '../output.ts';
import type { ApiClient } from '../remote/api.ts';
import { findByName } from '../remote/find-by-name.ts';
import { remote } from './operations.ts';

export interface TenantJson { id: string; name: string; createdAt: string }
interface MemberJson { userId: string; username: string; role: string }

/** A tenant by id or name, among those the caller may see. */
export async function findTenant(api: ApiClient, ref: string): Promise<TenantJson> {
  return findByName(await api.all<TenantJson>('/v1/tenants'), ref, 'tenant', (t) => t.name, 'an operator makes one with cairn tenants create <name>');
}

export async function tenantsList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const tenants = await (await remote(env)).all<TenantJson>('/v1/tenants');
  if (opts.json) return printJson(env, tenants);
  if (tenants.length === 0) return void env.stdout.write('no tenants you may see: an operator makes one with cairn tenants create <name>\n');
  env.stdout.write(table([['ID', 'NAME', 'CREATED'], ...tenants.map((t) => [t.id, t.name, t.createdAt])]));
}

export async function tenantCreate(env: CliEnvironment, name: string, opts: { json?: boolean }): Promise<void> {
  const t = await (await remote(env)).post<TenantJson>('/v1/tenants', { name });
  if (opts.json) return printJson(env, t);
  env.stdout.write(`tenant ${t.id} (${t.name}); give it members with cairn tenants add-member ${t.name} <username> --role admin\n`);
}

async function members(api: ApiClient, tenant: TenantJson): Promise<MemberJson[]> {
  return (await api.get<{ items: MemberJson[] }>(`/v1/tenants/${tenant.id}/members`)).items;
}

export async function tenantMembers(env: CliEnvironment, ref: string, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const list = await members(api, await findTenant(api, ref));
  if (opts.json) return printJson(env, list);
  if (list.length === 0) return void env.stdout.write(`tenant ${ref} has no members: add one with cairn tenants add-member ${ref} <username> --role <role>\n`);
  env.stdout.write(table([['USERNAME', 'ROLE', 'USER ID'], ...list.map((m) => [m.username, m.role, m.userId])]));
}

/** Adds the account, or changes its role when it is a member already. */
export async function tenantAddMember(env: CliEnvironment, ref: string, username: string, opts: { role: string; json?: boolean }): Promise<void> {
  const api = await remote(env);
  const tenant = await findTenant(api, ref);
  const m = await api.post<MemberJson>(`/v1/tenants/${tenant.id}/members`, { username, role: opts.role });
  if (opts.json) return printJson(env, { tenantId: tenant.id, ...m });
  env.stdout.write(`${m.username} is ${m.role === 'admin' ? 'an' : 'a'} ${m.role} of tenant ${tenant.name}\n`);
}

export async function tenantRemoveMember(env: CliEnvironment, ref: string, username: string, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const tenant = await findTenant(api, ref);
  // The API takes the account's id, which only operators may list: the tenant's members name it too.
  const list = (await members(api, tenant)).map((x) => ({ id: x.userId, ...x }));
  const m = findByName(list, username, 'member', (x) => x.username, `tenant ${tenant.name} has no members`).userId;
  await api.request('DELETE', `/v1/tenants/${tenant.id}/members/${encodeURIComponent(m)}`);
  if (opts.json) return printJson(env, { tenantId: tenant.id, userId: m, username, removed: true });
  env.stdout.write(`${username} no longer belongs to tenant ${tenant.name}\n`);
}
