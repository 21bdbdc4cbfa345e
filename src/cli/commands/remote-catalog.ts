/** cairn resources / policies / plans against a Cairn server (signed in with cairn login). */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';
import { remote } from './operations.ts';

interface ResourceJson { id: string; type: string; name: string; externalId: string; parentId: string | null; tenantId: string | null; sizeBytes: number | null; missingSince: string | null }
interface PolicyJson { id: string; tenantId: string | null; name: string; schedule: string | null; timeZone: string; retention: Record<string, unknown>; options: Record<string, unknown>; description: string }
interface PlanJson { id: string; tenantId: string; name: string; policyId: string; bankId: string; enabled: boolean; resourceIds: string[] }

export async function remoteResources(env: CliEnvironment, opts: { type?: string; json?: boolean }): Promise<void> {
  const items = await (await remote(env)).all<ResourceJson>(`/v1/resources${opts.type ? `?type=${encodeURIComponent(opts.type)}` : ''}`);
  if (opts.json) return printJson(env, items);
  if (items.length === 0) return void env.stdout.write('no resources you may see: an operator registers hosts and gives their resources to tenants\n');
  // Servers first, each followed by its volumes (indented): the tree discovery found.
  const children = new Map<string, ResourceJson[]>();
  for (const r of items) if (r.parentId) children.set(r.parentId, [...children.get(r.parentId) ?? [], r]);
  const rows = [['ID', 'TYPE', 'NAME', 'SIZE', 'STATE']];
  const add = (r: ResourceJson, depth: number): void => {
    rows.push([r.id, r.type, `${'  '.repeat(depth)}${r.name}`, r.sizeBytes === null ? '' : formatBytes(r.sizeBytes), r.missingSince ? `missing since ${r.missingSince}` : '']);
    for (const c of children.get(r.id) ?? []) add(c, depth + 1);
  };
  const ids = new Set(items.map((r) => r.id));
  for (const r of items) if (!r.parentId || !ids.has(r.parentId)) add(r, 0);
  env.stdout.write(table(rows));
}

const RETENTION = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
export interface PolicyOptions {
  schedule?: string; timeZone?: string; description?: string; tenant?: string; keepWithin?: string; option?: string[]; json?: boolean;
  keepLast?: string; keepHourly?: string; keepDaily?: string; keepWeekly?: string; keepMonthly?: string; keepYearly?: string;
}

function count(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CairnError('bad-input', `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}: give a whole number, 0 or more`);
  return n;
}

/** --option key=value: true/false and numbers as such, anything else a string. */
function backupOptions(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new CairnError('bad-input', `--option ${p}: give key=value (e.g. quiesce=true)`);
    const v = p.slice(eq + 1);
    out[p.slice(0, eq)] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

export async function policyCreate(env: CliEnvironment, name: string, opts: PolicyOptions): Promise<void> {
  const retention: Record<string, unknown> = {};
  for (const k of RETENTION) if (opts[k] !== undefined) retention[k] = count(k, opts[k]);
  if (opts.keepWithin !== undefined) retention.keepWithin = opts.keepWithin;
  if (Object.keys(retention).length === 0) throw new CairnError('bad-input', 'say how long to keep checkpoints: --keep-last, --keep-within, --keep-daily, ... (as cairn prune takes them)');
  const p = await (await remote(env)).post<PolicyJson>('/v1/policies', {
    name, retention, ...(opts.schedule ? { schedule: opts.schedule } : {}), ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.description ? { description: opts.description } : {}), ...(opts.tenant ? { tenantId: opts.tenant } : {}), ...(opts.option?.length ? { options: backupOptions(opts.option) } : {}),
  });
  if (opts.json) return printJson(env, p);
  env.stdout.write(`policy ${p.id} (${p.name})${p.tenantId ? '' : ', an offering'}\n`);
}

function retentionText(r: Record<string, unknown>): string {
  return Object.entries(r).map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`).join(', ');
}

export async function policiesList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const items = await (await remote(env)).all<PolicyJson>('/v1/policies');
  if (opts.json) return printJson(env, items);
  if (items.length === 0) return void env.stdout.write('no policies: make one with cairn policies create <name> --keep-last <n>\n');
  env.stdout.write(table([['ID', 'NAME', 'SCHEDULE', 'RETENTION', 'OFFERING'], ...items.map((p) => [p.id, p.name, p.schedule ? `${p.schedule} (${p.timeZone})` : 'manual', retentionText(p.retention), p.tenantId ? '' : 'yes'])]));
}

export async function showOne(env: CliEnvironment, kind: 'policies' | 'plans', id: string, opts: { json?: boolean }): Promise<void> {
  const item = await (await remote(env)).get<Record<string, unknown>>(`/v1/${kind}/${encodeURIComponent(id)}`);
  if (opts.json) return printJson(env, item);
  for (const [k, v] of Object.entries(item)) env.stdout.write(`${k.padEnd(12)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
}

export async function deleteOne(env: CliEnvironment, kind: 'policies' | 'plans', id: string, opts: { json?: boolean }): Promise<void> {
  await (await remote(env)).request('DELETE', `/v1/${kind}/${encodeURIComponent(id)}`);
  if (opts.json) return printJson(env, { deleted: id });
  env.stdout.write(`deleted ${kind === 'plans' ? 'plan' : 'policy'} ${id}\n`);
}

export async function planCreate(env: CliEnvironment, name: string, opts: { policy: string; resource?: string[]; bank?: string; tenant?: string; disabled?: boolean; json?: boolean }): Promise<void> {
  const p = await (await remote(env)).post<PlanJson>('/v1/plans', {
    name, policyId: opts.policy, resourceIds: opts.resource ?? [], ...(opts.bank ? { bankId: opts.bank } : {}), ...(opts.tenant ? { tenantId: opts.tenant } : {}), ...(opts.disabled ? { enabled: false } : {}),
  });
  if (opts.json) return printJson(env, p);
  env.stdout.write(`plan ${p.id} (${p.name}): ${p.resourceIds.length} resource(s); back it up now with cairn backup --plan ${p.id}\n`);
}

export async function planUpdate(env: CliEnvironment, id: string, opts: { add?: string[]; remove?: string[]; policy?: string; enable?: boolean; disable?: boolean; json?: boolean }): Promise<void> {
  if (opts.enable && opts.disable) throw new CairnError('bad-input', '--enable and --disable exclude each other');
  const api = await remote(env);
  const plan = await api.get<PlanJson>(`/v1/plans/${encodeURIComponent(id)}`);
  const resources = new Set(plan.resourceIds);
  for (const r of opts.add ?? []) resources.add(r);
  for (const r of opts.remove ?? []) resources.delete(r);
  const p = await api.request<PlanJson>('PATCH', `/v1/plans/${encodeURIComponent(id)}`, {
    ...(opts.add?.length || opts.remove?.length ? { resourceIds: [...resources] } : {}), ...(opts.policy ? { policyId: opts.policy } : {}),
    ...(opts.enable ? { enabled: true } : {}), ...(opts.disable ? { enabled: false } : {}),
  });
  if (opts.json) return printJson(env, p);
  env.stdout.write(`plan ${p.id} (${p.name}): ${p.resourceIds.length} resource(s), ${p.enabled ? 'enabled' : 'disabled'}\n`);
}

export async function plansList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const items = await (await remote(env)).all<PlanJson>('/v1/plans');
  if (opts.json) return printJson(env, items);
  if (items.length === 0) return void env.stdout.write('no plans: make one with cairn plans create <name> --policy <id> --resource <id>\n');
  env.stdout.write(table([['ID', 'NAME', 'POLICY', 'RESOURCES', 'ENABLED'], ...items.map((p) => [p.id, p.name, p.policyId, String(p.resourceIds.length), p.enabled ? 'yes' : 'no'])]));
}
