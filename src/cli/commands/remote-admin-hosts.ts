/** cairn hosts [add | discover | set | release]: where resources are found, and who runs their operations (operators). */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { maxOperations } from '../limit-flags.ts';
import { printJson, table } from '../output.ts';
import type { ApiClient } from '../remote/api.ts';
import { choices, findByName } from '../remote/find-by-name.ts';
import { findSite, listSites } from './remote-admin-sites.ts';
import { findTenant, type TenantJson } from './remote-admin-tenants.ts';
import { remote } from './operations.ts';

interface HostJson {
  id: string; name: string; siteId: string; kind: string; location: string; tenantId: string | null; createdAt: string;
  discoveredAt: string | null; discoveryError: string | null; maxOperations: number | null; agentSeenAt: string | null; runningOperations?: number;
}
export interface HostAddOptions { kind: string; location: string; site?: string; tenant?: string; json?: boolean }

async function listHosts(api: ApiClient): Promise<HostJson[]> {
  return (await api.get<{ items: HostJson[] }>('/v1/hosts')).items;
}

async function findHost(api: ApiClient, ref: string): Promise<HostJson> {
  return findByName(await listHosts(api), ref, 'host', (h) => h.name, 'add one with cairn hosts add <name> --kind <kind> --location <location>');
}

export async function hostsList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const hosts = await listHosts(api);
  if (opts.json) return printJson(env, hosts);
  if (hosts.length === 0) return void env.stdout.write('no hosts: add one with cairn hosts add <name> --kind <kind> --location <location>\n');
  const [sites, tenants] = await Promise.all([listSites(api), api.all<TenantJson>('/v1/tenants')]);
  const siteName = new Map(sites.map((s) => [s.id, s.name])), tenantName = new Map(tenants.map((t) => [t.id, t.name]));
  env.stdout.write(table([
    ['ID', 'NAME', 'KIND', 'SITE', 'TENANT', 'LOCATION', 'DISCOVERED', 'AGENT SEEN', 'RUNNING', 'MAX OPS'],
    ...hosts.map((h) => [
      h.id, h.name, h.kind, siteName.get(h.siteId) ?? h.siteId, h.tenantId ? tenantName.get(h.tenantId) ?? h.tenantId : '', h.location,
      h.discoveryError ? `error: ${h.discoveryError}` : h.discoveredAt ?? 'never', h.agentSeenAt ?? '', String(h.runningOperations ?? ''), h.maxOperations === null ? 'no limit' : String(h.maxOperations),
    ]),
  ]));
}

export async function hostAdd(env: CliEnvironment, name: string, opts: HostAddOptions): Promise<void> {
  const api = await remote(env);
  const site = opts.site ? await findSite(api, opts.site) : await onlySite(api);
  const tenant = opts.tenant ? await findTenant(api, opts.tenant) : undefined;
  const h = await api.post<HostJson>('/v1/hosts', { name, siteId: site.id, kind: opts.kind, location: opts.location, ...(tenant ? { tenantId: tenant.id } : {}) });
  if (opts.json) return printJson(env, h);
  env.stdout.write(`host ${h.id} (${h.name}) at site ${site.name}${tenant ? `, its resources owned by tenant ${tenant.name}` : ''}; find its resources with cairn hosts discover ${h.name}\n`);
}

/** Without --site, the site when there is only one. */
async function onlySite(api: ApiClient): Promise<{ id: string; name: string }> {
  const sites = await listSites(api);
  if (sites.length === 1) return sites[0]!;
  throw new CairnError('bad-input', `say which site the host is at with --site: ${choices(sites, (s) => s.name)}`);
}

export async function hostDiscover(env: CliEnvironment, ref: string, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const host = await findHost(api, ref);
  const r = await api.post<{ found: number; added: number; missing: number }>(`/v1/hosts/${host.id}/discover`);
  if (opts.json) return printJson(env, { hostId: host.id, ...r });
  env.stdout.write(`host ${host.name}: found ${r.found} resource(s), ${r.added} new, ${r.missing} missing; see them with cairn resources\n`);
}

export async function hostSet(env: CliEnvironment, ref: string, opts: { maxOperations?: string; json?: boolean }): Promise<void> {
  if (opts.maxOperations === undefined) throw new CairnError('bad-input', 'say what to set: --max-operations <n|none>');
  const limit = maxOperations('--max-operations', opts.maxOperations);
  const api = await remote(env);
  const host = await findHost(api, ref);
  const h = await api.request<HostJson>('PATCH', `/v1/hosts/${host.id}`, { maxOperations: limit });
  if (opts.json) return printJson(env, h);
  env.stdout.write(`host ${h.name}: ${h.maxOperations === null ? 'no limit on operations' : `at most ${h.maxOperations} operation(s) at once`}\n`);
}

/** Gives a host whose agents are gone back to the servers; the API refuses (409, with why) while one is alive. */
export async function hostRelease(env: CliEnvironment, ref: string, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const host = await findHost(api, ref);
  const h = await api.request<HostJson>('PATCH', `/v1/hosts/${host.id}`, { agent: false });
  if (opts.json) return printJson(env, h);
  env.stdout.write(`host ${h.name}: no agent any more; its operations run on the servers and plain workers\n`);
}
