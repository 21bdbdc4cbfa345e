/** cairn sites [create <name>]: the places banks and hosts belong to (operators). */
import type { CliEnvironment } from '../context.ts';
import { printJson, table } from '../output.ts';
import type { ApiClient } from '../remote/api.ts';
import { findByName } from '../remote/find-by-name.ts';
import { remote } from './operations.ts';

export interface SiteJson { id: string; name: string; createdAt: string }

export async function listSites(api: ApiClient): Promise<SiteJson[]> {
  return (await api.get<{ items: SiteJson[] }>('/v1/sites')).items;
}

/** A site by id or name. */
export async function findSite(api: ApiClient, ref: string): Promise<SiteJson> {
  return findByName(await listSites(api), ref, 'site', (s) => s.name, 'make one with cairn sites create <name>');
}

export async function sitesList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const sites = await listSites(await remote(env));
  if (opts.json) return printJson(env, sites);
  env.stdout.write(table([['ID', 'NAME', 'CREATED'], ...sites.map((s) => [s.id, s.name, s.createdAt])]));
}

export async function siteCreate(env: CliEnvironment, name: string, opts: { json?: boolean }): Promise<void> {
  const s = await (await remote(env)).post<SiteJson>('/v1/sites', { name });
  if (opts.json) return printJson(env, s);
  env.stdout.write(`site ${s.id} (${s.name}); add hosts there with cairn hosts add <name> --site ${s.name}\n`);
}
