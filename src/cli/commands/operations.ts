/** cairn operations [list] | show <id> | watch <id> | cancel <id>: what a Cairn server runs and ran. */
import { CairnError } from '../../core/errors.ts';
import type { Progress } from '../../core/progress.ts';
import type { CliEnvironment } from '../context.ts';
import { formatBytes, printJson, progressReporter, table } from '../output.ts';
import { ApiClient } from '../remote/api.ts';
import { loadSession } from '../remote/session.ts';

export interface OperationJson {
  id: string; type: string; state: string; tenantId: string | null; request: Record<string, unknown>; progress: (Progress & { step?: string }) | null;
  result: Record<string, unknown> | null; error: string | null; attempts: number; createdAt: string; startedAt: string | null; finishedAt: string | null;
  log?: { at: string; level: string; message: string }[];
}

const ENDED = ['succeeded', 'failed', 'cancelled'];

export async function remote(env: CliEnvironment): Promise<ApiClient> {
  return ApiClient.of(await loadSession(env));
}

export async function operationsList(env: CliEnvironment, opts: { type?: string; state?: string; json?: boolean }): Promise<void> {
  const api = await remote(env);
  const q = new URLSearchParams({ ...(opts.type ? { type: opts.type } : {}), ...(opts.state ? { state: opts.state } : {}) }).toString();
  const ops = await api.all<OperationJson>(`/v1/operations${q ? `?${q}` : ''}`);
  if (opts.json) return printJson(env, ops);
  if (ops.length === 0) return void env.stdout.write('no operations\n');
  env.stdout.write(table([['ID', 'TYPE', 'STATE', 'CREATED', 'PROGRESS', 'ERROR'], ...ops.map((o) => [o.id, o.type, o.state, o.createdAt, progressText(o), o.error ?? ''])]));
}

function progressText(o: OperationJson): string {
  const p = o.progress;
  if (!p || ENDED.includes(o.state)) return '';
  return `${p.totalBytes ? ((100 * p.doneBytes) / p.totalBytes).toFixed(0) : 0}% ${p.phase}${p.step ? ` ${p.step}` : ''}`;
}

export async function operationShow(env: CliEnvironment, id: string, opts: { json?: boolean }): Promise<void> {
  const op = await (await remote(env)).get<OperationJson>(`/v1/operations/${encodeURIComponent(id)}`);
  if (opts.json) return printJson(env, op);
  printOperation(env, op);
}

function printOperation(env: CliEnvironment, op: OperationJson): void {
  env.stdout.write(`operation ${op.id}: ${op.type}, ${op.state}${op.attempts > 1 ? ` after ${op.attempts} attempts` : ''}\n`);
  if (op.progress && !ENDED.includes(op.state)) env.stdout.write(`  ${progressText(op)}: ${formatBytes(op.progress.doneBytes)} of ${formatBytes(op.progress.totalBytes)}\n`);
  for (const l of op.log ?? []) env.stdout.write(`  ${l.at} ${l.level.padEnd(7)} ${l.message}\n`);
  if (op.error) env.stdout.write(`  error: ${op.error}\n`);
}

/**
 * Follows an operation to its end: a progress bar (JSON lines with --json) and its log lines as they
 * come, then its result. A failed or cancelled operation is an error (exit status 1).
 */
export async function watchOperation(env: CliEnvironment, api: ApiClient, id: string, json: boolean): Promise<OperationJson> {
  const progress = progressReporter(env, json);
  let shown = 0;
  for (;;) {
    const op = await api.get<OperationJson>(`/v1/operations/${encodeURIComponent(id)}`);
    const fresh = (op.log ?? []).slice(shown);
    shown += fresh.length;
    if (fresh.length && !json) {
      progress.done();
      for (const l of fresh) env.stderr.write(`${l.level === 'info' ? '' : `${l.level}: `}${l.message}\n`);
    }
    if (ENDED.includes(op.state)) {
      progress.done();
      if (json) printJson(env, op);
      if (op.state === 'failed') throw new CairnError('storage', `operation ${op.id} failed: ${op.error ?? 'no reason given'}`);
      if (op.state === 'cancelled') throw new CairnError('cancelled', `operation ${op.id} was cancelled`);
      return op;
    }
    if (op.progress) progress.listener?.(op.progress);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function operationWatch(env: CliEnvironment, id: string, opts: { json?: boolean }): Promise<void> {
  const op = await watchOperation(env, await remote(env), id, !!opts.json);
  if (!opts.json) env.stdout.write(`operation ${op.id} (${op.type}) succeeded\n`);
}

export async function operationCancel(env: CliEnvironment, id: string, opts: { json?: boolean }): Promise<void> {
  const op = await (await remote(env)).post<OperationJson>(`/v1/operations/${encodeURIComponent(id)}/cancel`);
  if (opts.json) return printJson(env, op);
  env.stdout.write(op.state === 'cancelled' ? `operation ${op.id} cancelled\n` : `operation ${op.id} asked to stop; it ends at its next step (cairn operations watch ${op.id})\n`);
}

/** After a call that started an operation: follow it (the default) or print its id. */
export async function followOrPrint(env: CliEnvironment, api: ApiClient, op: OperationJson, opts: { json?: boolean; wait?: boolean }): Promise<OperationJson | undefined> {
  if (opts.wait === false) {
    if (opts.json) printJson(env, op);
    else env.stdout.write(`operation ${op.id} (${op.type}) queued: follow it with cairn operations watch ${op.id}\n`);
    return undefined;
  }
  return watchOperation(env, api, op.id, !!opts.json);
}
