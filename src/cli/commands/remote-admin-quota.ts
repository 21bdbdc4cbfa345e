/** cairn tenants quota <tenant> [--max-…]: a tenant's quota and what it uses of it; operators set it. */
import type { CliEnvironment } from '../context.ts';
import { countOrNone, sizeOrNone } from '../limit-flags.ts';
import { formatBytes, printJson, table } from '../output.ts';
import { findTenant } from './remote-admin-tenants.ts';
import { remote } from './operations.ts';

interface Quota { maxResources: number | null; maxCheckpoints: number | null; maxStoredBytes: number | null }
interface QuotaJson { tenantId: string; quota: Quota; usage: { resources: number; checkpoints: number; storedBytes: number } }
export interface QuotaOptions { maxResources?: string; maxCheckpoints?: string; maxStored?: string; json?: boolean }

/** Without a flag, shows the quota; with any, sets those limits and keeps the others. */
export async function tenantQuota(env: CliEnvironment, ref: string, opts: QuotaOptions): Promise<void> {
  // Every flag is parsed before the first call: a bad one changes nothing.
  const changes: Partial<Quota> = {
    ...(opts.maxResources !== undefined ? { maxResources: countOrNone('--max-resources', opts.maxResources) } : {}),
    ...(opts.maxCheckpoints !== undefined ? { maxCheckpoints: countOrNone('--max-checkpoints', opts.maxCheckpoints) } : {}),
    ...(opts.maxStored !== undefined ? { maxStoredBytes: sizeOrNone('--max-stored', opts.maxStored) } : {}),
  };
  const api = await remote(env);
  const tenant = await findTenant(api, ref);
  const path = `/v1/tenants/${tenant.id}/quota`;
  let q = await api.get<QuotaJson>(path);
  // The API sets the whole quota at once.
  if (Object.keys(changes).length > 0) q = await api.request<QuotaJson>('PUT', path, { ...q.quota, ...changes });
  if (opts.json) return printJson(env, q);
  const limit = (n: number | null, show: (n: number) => string = String): string => (n === null ? 'no limit' : show(n));
  env.stdout.write(`tenant ${tenant.name}\n` + table([
    ['', 'USED', 'LIMIT'],
    ['resources', String(q.usage.resources), limit(q.quota.maxResources)],
    ['checkpoints', String(q.usage.checkpoints), limit(q.quota.maxCheckpoints)],
    ['stored', formatBytes(q.usage.storedBytes), limit(q.quota.maxStoredBytes, formatBytes)],
  ]));
}
