/**
 * cairn banks [health | set | gc]: the server's banks (operators). Not `cairn bank`, which works on a
 * bank directly by its location.
 */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { maxOperations } from '../limit-flags.ts';
import { formatBytes, printJson, table } from '../output.ts';
import type { ApiClient } from '../remote/api.ts';
import { findByName } from '../remote/find-by-name.ts';
import { listSites } from './remote-admin-sites.ts';
import { followOrPrint, remote, type OperationJson } from './operations.ts';

type Maintenance = Record<string, unknown> & { gcSchedule?: string; verifySchedule?: string; timeZone?: string };
interface BankJson { id: string; name: string; siteId: string; location: string; bankUuid: string; createdAt: string; maintenance: Maintenance; maxOperations: number | null }
interface Upkeep { id: string; state: string; finishedAt: string | null; error: string | null }
interface HealthJson {
  reachable: boolean; reason: string | null; checkpoints: number; storedBytes: number; damagedCheckpoints: number;
  lastGc: Upkeep | null; lastVerify: Upkeep | null; runningOperations: number; maxOperations: number | null;
}
export interface BankSetOptions { maxOperations?: string; gcSchedule?: string; verifySchedule?: string; timeZone?: string; json?: boolean }

async function findBank(api: ApiClient, ref: string): Promise<BankJson> {
  const banks = (await api.get<{ items: BankJson[] }>('/v1/banks')).items;
  return findByName(banks, ref, 'bank', (b) => b.name, 'attach one with POST /v1/banks (see docs/server.md)');
}

export async function banksList(env: CliEnvironment, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const [banks, sites] = await Promise.all([api.get<{ items: BankJson[] }>('/v1/banks'), listSites(api)]);
  if (opts.json) return printJson(env, banks.items);
  const siteName = new Map(sites.map((s) => [s.id, s.name]));
  const m = (b: BankJson): Maintenance => b.maintenance;
  env.stdout.write(table([
    ['ID', 'NAME', 'SITE', 'LOCATION', 'GC', 'VERIFY', 'MAX OPS'],
    ...banks.items.map((b) => [
      b.id, b.name, siteName.get(b.siteId) ?? b.siteId, b.location, m(b).gcSchedule ?? '', m(b).verifySchedule ?? '', b.maxOperations === null ? 'no limit' : String(b.maxOperations),
    ]),
  ]));
}

export async function bankHealth(env: CliEnvironment, ref: string, opts: { json?: boolean }): Promise<void> {
  const api = await remote(env);
  const bank = await findBank(api, ref);
  const h = await api.get<HealthJson>(`/v1/banks/${bank.id}/health`);
  if (opts.json) return printJson(env, { bankId: bank.id, ...h });
  const upkeep = (u: Upkeep | null): string => (u ? `${u.state}${u.finishedAt ? ` at ${u.finishedAt}` : ''}${u.error ? `: ${u.error}` : ''} (operation ${u.id})` : 'never');
  env.stdout.write(table([
    ['bank', `${bank.name} (${bank.id}) at ${bank.location}`],
    ['reachable', h.reachable ? 'yes' : `no: ${h.reason ?? 'no reason given'}`],
    ['checkpoints', `${h.checkpoints}${h.damagedCheckpoints ? `, ${h.damagedCheckpoints} damaged` : ''}`],
    ['stored', formatBytes(h.storedBytes)],
    ['last gc', upkeep(h.lastGc)],
    ['last verify', upkeep(h.lastVerify)],
    ['operations', `${h.runningOperations} running, ${h.maxOperations === null ? 'no limit' : `at most ${h.maxOperations}`}`],
  ]));
}

/** Sets the given settings and keeps the others: the API replaces the whole upkeep, so it is merged here. "none" clears a schedule. */
export async function bankSet(env: CliEnvironment, ref: string, opts: BankSetOptions): Promise<void> {
  const limit = opts.maxOperations === undefined ? undefined : maxOperations('--max-operations', opts.maxOperations);
  const upkeep = { gcSchedule: opts.gcSchedule, verifySchedule: opts.verifySchedule, timeZone: opts.timeZone };
  const touched = Object.values(upkeep).some((v) => v !== undefined);
  if (limit === undefined && !touched) throw new CairnError('bad-input', 'say what to set: --max-operations, --gc-schedule, --verify-schedule or --time-zone');
  const api = await remote(env);
  const bank = await findBank(api, ref);
  const maintenance: Maintenance = { ...bank.maintenance };
  for (const [k, v] of Object.entries(upkeep)) {
    if (v === 'none') delete maintenance[k];
    else if (v !== undefined) maintenance[k] = v;
  }
  const b = await api.request<BankJson>('PATCH', `/v1/banks/${bank.id}`, { ...(touched ? { maintenance } : {}), ...(limit !== undefined ? { maxOperations: limit } : {}) });
  if (opts.json) return printJson(env, b);
  const s = b.maintenance;
  env.stdout.write(`bank ${b.name}: gc ${s.gcSchedule ?? 'by hand only'}, verify ${s.verifySchedule ?? 'by hand only'}${s.timeZone ? ` (${s.timeZone})` : ''}, ` +
    `${b.maxOperations === null ? 'no limit on operations' : `at most ${b.maxOperations} operation(s) at once`}\n`);
}

/** Starts a garbage collection; prints its operation, or with --wait follows it to its end. */
export async function bankGc(env: CliEnvironment, ref: string, opts: { wait?: boolean; json?: boolean }): Promise<void> {
  const api = await remote(env);
  const bank = await findBank(api, ref);
  const op = await api.post<OperationJson>(`/v1/banks/${bank.id}/gc`);
  const done = await followOrPrint(env, api, op, { json: !!opts.json, wait: !!opts.wait });
  if (done && !opts.json) env.stdout.write(`operation ${done.id}: garbage collection of bank ${bank.name} succeeded\n`);
}
