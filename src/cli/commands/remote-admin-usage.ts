/** cairn usage: usage records per tenant, resource and hour (operators: every tenant; members: theirs). */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';
import { findTenant } from './remote-admin-tenants.ts';
import { remote } from './operations.ts';

interface UsageJson { tenantId: string; tenantName: string | null; resourceId: string; resourceName: string | null; hour: string; checkpoints: number; storedBytes: number }
export interface UsageOptions { from?: string; to?: string; tenant?: string; csv?: boolean; json?: boolean }

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day (YYYY-MM-DD, UTC) or a date and time; a day given to --to counts whole. */
function instant(flag: string, text: string, end: boolean): string {
  const t = new Date(DAY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(t.getTime())) throw new CairnError('bad-input', `${flag} ${text}: give a day (2026-01-31) or a date and time (2026-01-31T12:00:00Z)`);
  if (end && DAY.test(text)) t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString();
}

export async function usageCommand(env: CliEnvironment, opts: UsageOptions): Promise<void> {
  if (opts.csv && opts.json) throw new CairnError('bad-input', '--csv and --json exclude each other');
  const from = opts.from === undefined ? undefined : instant('--from', opts.from, false);
  const to = opts.to === undefined ? undefined : instant('--to', opts.to, true);
  const api = await remote(env);
  const tenant = opts.tenant ? await findTenant(api, opts.tenant) : undefined;
  const q = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}), ...(tenant ? { tenantId: tenant.id } : {}) });
  if (opts.csv) {
    q.set('format', 'csv');
    return void env.stdout.write(await api.text(`/v1/usage?${q.toString()}`, 'text/csv'));
  }
  const rows = (await api.get<{ items: UsageJson[] }>(`/v1/usage${q.size ? `?${q.toString()}` : ''}`)).items;
  if (opts.json) return printJson(env, rows);
  if (rows.length === 0) return void env.stdout.write('no usage recorded in that span (the default: the last 30 days)\n');
  env.stdout.write(table([
    ['HOUR', 'TENANT', 'RESOURCE', 'CHECKPOINTS', 'STORED'],
    ...rows.map((r) => [r.hour, r.tenantName ?? r.tenantId, r.resourceName ?? r.resourceId, String(r.checkpoints), formatBytes(r.storedBytes)]),
  ]));
}
