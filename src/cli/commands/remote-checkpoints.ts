/**
 * Checkpoints on a Cairn server: cairn backup --plan | --resource, cairn checkpoints, cairn restore
 * <checkpoint> --target, cairn verify and cairn forget without --bank. Each that starts an operation
 * follows it with a progress bar unless --no-wait.
 */
import { CairnError } from '../../core/errors.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';
import type { ApiClient } from '../remote/api.ts';
import { followOrPrint, remote, type OperationJson } from './operations.ts';

interface CheckpointJson {
  id: string; bankRef: string | null; name: string; type: string; status: string; parentRef: string | null; resourceId: string | null; planId: string | null;
  sourceBytes: number | null; writtenBytes: number | null; createdAt: string; completedAt: string | null; verifiedAt: string | null; damaged: boolean; error: string | null;
}

export interface FollowOptions { json?: boolean; wait?: boolean }

/** A checkpoint by its catalog id, or by its id in the bank (what `cairn checkpoints --bank` shows). */
async function resolveCheckpoint(api: ApiClient, ref: string): Promise<CheckpointJson> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(ref)) return api.get<CheckpointJson>(`/v1/checkpoints/${ref}`);
  const found = await api.get<{ items: CheckpointJson[] }>(`/v1/checkpoints?bankRef=${encodeURIComponent(ref)}`);
  if (found.items.length === 0) throw new CairnError('not-found', `there is no checkpoint ${ref} you may see`);
  if (found.items.length > 1) throw new CairnError('ambiguous', `${ref} names checkpoints in ${found.items.length} banks: give the catalog id (${found.items.map((c) => c.id).join(', ')})`);
  return found.items[0]!;
}

export async function remoteBackup(env: CliEnvironment, opts: FollowOptions & { plan?: string; resource?: string[]; bank?: string; full?: boolean }): Promise<void> {
  if (!opts.plan === !opts.resource?.length) throw new CairnError('bad-input', 'say what to back up: --plan <id>, or --resource <id> (repeatable); or use a subcommand (cairn backup --help)');
  const api = await remote(env);
  const op = await api.post<OperationJson>('/v1/checkpoints', {
    ...(opts.plan ? { planId: opts.plan } : { resourceIds: opts.resource }), ...(opts.bank ? { bankId: opts.bank } : {}), full: !!opts.full,
  });
  const done = await followOrPrint(env, api, op, opts);
  if (!done || opts.json) return;
  const made = (done.result?.checkpoints ?? []) as { resourceId: string; checkpointId: string }[];
  env.stdout.write(`backed up ${made.length} resource(s): ${made.map((c) => `checkpoint ${c.checkpointId}`).join(', ')}\n`);
}

export async function remoteCheckpoints(env: CliEnvironment, opts: { plan?: string; resource?: string; status?: string; json?: boolean }): Promise<void> {
  const q = new URLSearchParams({ ...(opts.plan ? { planId: opts.plan } : {}), ...(opts.resource ? { resourceId: opts.resource } : {}), ...(opts.status ? { status: opts.status } : {}) }).toString();
  const items = await (await remote(env)).all<CheckpointJson>(`/v1/checkpoints${q ? `?${q}` : ''}`);
  if (opts.json) return printJson(env, items);
  if (items.length === 0) return void env.stdout.write('no checkpoints\n');
  env.stdout.write(table([
    ['ID', 'BANK ID', 'NAME', 'KIND', 'STATUS', 'CREATED', 'SOURCE', 'ADDED', 'VERIFIED'],
    ...items.map((c) => [
      c.id, c.bankRef ?? '', c.name, c.parentRef ? 'incremental' : 'full', c.status + (c.damaged ? ' (damaged)' : ''), c.completedAt ?? c.createdAt,
      c.sourceBytes === null ? '' : formatBytes(c.sourceBytes), c.writtenBytes === null ? '' : formatBytes(c.writtenBytes), c.verifiedAt ?? '',
    ]),
  ]));
}

/** --target new:<name> | in-place | recreate */
function parseTarget(text: string, host?: string): Record<string, unknown> {
  if (text === 'in-place' || text === 'recreate') return { mode: text };
  const m = /^new:(.+)$/.exec(text);
  if (!m) throw new CairnError('bad-input', `--target ${text}: give new:<name> (a new volume or server), in-place, or recreate (a server again after it was deleted)`);
  return { mode: 'new', name: m[1], ...(host ? { hostId: host } : {}) };
}

export async function remoteRestore(env: CliEnvironment, ref: string, opts: FollowOptions & { target?: string; host?: string; format?: string; inPlace?: boolean }): Promise<void> {
  const target = opts.target ?? (opts.inPlace ? 'in-place' : undefined);
  if (!target) throw new CairnError('bad-input', 'say where to restore with --target new:<name> | in-place | recreate (or restore from a bank with --bank and --to)');
  const api = await remote(env);
  const cp = await resolveCheckpoint(api, ref);
  const op = await api.post<OperationJson>('/v1/restores', { checkpointId: cp.id, target: parseTarget(target, opts.host), parameters: opts.format ? { format: opts.format } : {} });
  const done = await followOrPrint(env, api, op, opts);
  if (!done || opts.json) return;
  const paths = (done.result?.paths ?? []) as string[];
  env.stdout.write(`restored checkpoint ${cp.bankRef ?? cp.id} (${cp.name}) to ${paths.join(', ')}${typeof done.result?.domain === 'string' ? ` as domain ${done.result.domain}` : ''}\n`);
}

export async function remoteForget(env: CliEnvironment, refs: string[], opts: FollowOptions): Promise<void> {
  const api = await remote(env);
  for (const ref of refs) {
    const cp = await resolveCheckpoint(api, ref);
    const done = await followOrPrint(env, api, await api.request<OperationJson>('DELETE', `/v1/checkpoints/${cp.id}`), opts);
    if (done && !opts.json) env.stdout.write(`deleted checkpoint ${cp.bankRef ?? cp.id} (${cp.name})\n`);
  }
}

export async function remoteVerify(env: CliEnvironment, refs: string[], opts: FollowOptions): Promise<void> {
  if (refs.length === 0) throw new CairnError('bad-input', 'name the checkpoints to verify (or verify a whole bank with --bank)');
  const api = await remote(env);
  const ids = [];
  for (const ref of refs) ids.push((await resolveCheckpoint(api, ref)).id);
  const done = await followOrPrint(env, api, await api.post<OperationJson>('/v1/verifications', { checkpointIds: ids }), opts);
  if (!done || opts.json) return;
  const damaged = Number(done.result?.damaged ?? 0);
  env.stdout.write(damaged ? `${damaged} of ${ids.length} checkpoint(s) damaged (cairn operations show ${done.id})\n` : `${ids.length} checkpoint(s) intact\n`);
  if (damaged) throw new CairnError('corrupt', `${damaged} checkpoint(s) damaged`);
}
