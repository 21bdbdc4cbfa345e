/**
 * The infrastructure as operators' pages load it: sites, hosts, banks with each bank's health, and
 * the tenants (to name a host's owner). A bank whose health cannot be had leaves its health blank, not
 * the page. GET /v1/sites, /v1/hosts and /v1/banks answer 403 to anyone but an operator.
 */
import type { Client } from './client.ts';
import type { Bank, BankHealth, Host, Site } from './infrastructure.ts';
import type { Tenant } from './types.ts';

export interface Infrastructure {
  sites: Site[];
  hosts: Host[];
  banks: Bank[];
  health: Map<string, BankHealth>;
  tenants: Tenant[];
}

const items = async <T>(client: Client, path: string, signal: AbortSignal) => (await client.get<{ items: T[] }>(path, signal)).items;

export const bankHealthOf = (client: Client, id: string, signal?: AbortSignal) => client.get<BankHealth>(`/v1/banks/${encodeURIComponent(id)}/health`, signal);

export async function loadInfrastructure(client: Client, signal: AbortSignal, withHealth = true): Promise<Infrastructure> {
  const [sites, hosts, banks, tenants] = await Promise.all([
    items<Site>(client, '/v1/sites', signal), items<Host>(client, '/v1/hosts', signal), items<Bank>(client, '/v1/banks', signal), client.list<Tenant>('/v1/tenants', signal),
  ]);
  const checked = withHealth ? await Promise.all(banks.map((b) => bankHealthOf(client, b.id, signal).catch(() => undefined))) : [];
  const health = new Map<string, BankHealth>();
  banks.forEach((b, i) => { const h = checked[i]; if (h) health.set(b.id, h); });
  return { sites, hosts, banks, health, tenants };
}

export const nameOf = (list: { id: string; name: string }[], id: string | null): string | undefined => (id === null ? undefined : list.find((x) => x.id === id)?.name);
