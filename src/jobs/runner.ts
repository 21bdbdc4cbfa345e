/**
 * Runs operations: what a job of the queue does with its operation's id. Every handler is idempotent:
 * a retried attempt (after a crash or a transient failure) finds what the earlier one finished and
 * does only the rest. A backup's checkpoint is found again by the operation tag it carries in the bank.
 */
import type { Kysely } from 'kysely';
import { bankSecret } from '../catalog/banks.ts';
import {
  attributionTags, beginCheckpoint, chainLength, completeCheckpoint, findCheckpoint, latestCheckpoint, recordVerification, removeCheckpoint, setCheckpointStatus, tagValue,
  type CheckpointRow,
} from '../catalog/checkpoints.ts';
import { findPlan } from '../catalog/plans.ts';
import { expirySelection } from '../catalog/expiry.ts';
import { findPolicy, type PolicyRow } from '../catalog/policies.ts';
import { localTime } from '../core/schedule.ts';
import type { NewOperation } from './operations-service.ts';
import type { Notify } from './notifier.ts';
import { appendLog, finishOperation, startAttempt, type OperationRow, type Wait } from '../catalog/operations.ts';
import { findHost, findResource, type HostRow } from '../catalog/resources.ts';
import type { Database } from '../catalog/schema.ts';
import { sampleUsage } from '../catalog/usage.ts';
import type { MasterKey } from '../catalog/secrets.ts';
import { CairnError, isCairnError } from '../core/errors.ts';
import type { ResourceType } from '../core/plugin.ts';
import type { BankAccess, Protection, ResourceRef } from '../core/protection.ts';
import { ProgressSink } from './progress-sink.ts';
import type { JobHandler } from './queue.ts';

export interface BackupRequest { resourceIds: string[]; bankId: string; planId: string | null; full: boolean; options: Record<string, unknown> }
/** `bankId`: a copy of the checkpoint's bank at the host's site, read instead of the checkpoint's own. */
export interface RestoreRequest { checkpointId: string; hostId: string; target: Record<string, unknown>; newPath?: string; bankId?: string }
export interface DeleteRequest { checkpointId: string }
export interface VerifyRequest { checkpointIds: string[] }
export interface GcRequest { bankId: string }

export interface RunnerDeps {
  db: Kysely<Database>;
  masterKey: MasterKey;
  protection: Protection;
  /** Removes a partial new volume an interrupted restore left, before the next attempt writes it again. */
  removePartial(path: string): Promise<void>;
  /** Tells webhooks of failures and damage. */
  notify: Notify;
  /** This node, as the log names it (host:pid). */
  node: string;
  /** Queues an operation (the deletes of expired checkpoints), once per dedupe key. */
  submitOnce(op: NewOperation): Promise<OperationRow | undefined>;
  /** Tries an operation again later: its host or bank runs as many operations as it may. */
  wait(operationId: string, wait: Wait): Promise<void>;
}

/** Errors worth another attempt: the bank's storage or the source failing for a while, not a wrong request. */
function transient(err: unknown): boolean {
  return err instanceof CairnError ? err.transient || err.code === 'storage' || err.code === 'source' || err.code === 'locked' : false;
}

export function operationRunner(deps: RunnerDeps): JobHandler {
  const { db } = deps;
  const log = (id: string, level: 'info' | 'warning' | 'error', message: string) => appendLog(db, id, level, message);

  async function bankAccess(bankId: string): Promise<BankAccess> {
    const bank = await db.selectFrom('banks').select(['id', 'location']).where('id', '=', bankId).executeTakeFirst();
    if (!bank) throw new CairnError('not-found', `the bank ${bankId} is no longer attached`);
    return { id: bank.id, location: bank.location, passphrase: await bankSecret(db, deps.masterKey, bank.id) };
  }

  async function resourceRef(resourceId: string): Promise<{ ref: ResourceRef; name: string; host: HostRow; tenantId: string | null }> {
    const r = await findResource(db, resourceId);
    if (!r) throw new CairnError('not-found', `the resource ${resourceId} is no longer in the catalog`);
    const host = (await findHost(db, r.hostId))!;
    return { ref: { type: r.type as ResourceType, externalId: r.externalId, hostKind: host.kind, hostLocation: host.location }, name: `${host.name}/${r.name}`, host, tenantId: r.tenantId };
  }

  async function backup(op: OperationRow, sink: ProgressSink): Promise<Record<string, unknown>> {
    const req = op.request as unknown as BackupRequest;
    const bank = await bankAccess(req.bankId);
    const policy = req.planId ? await policyOfPlan(req.planId) : undefined;
    const done: { resourceId: string; checkpointId: string }[] = [];
    const failed: { resourceId: string; error: string }[] = [];
    let inBank: Awaited<ReturnType<Protection['checkpoints']>> | undefined;
    for (const [i, resourceId] of req.resourceIds.entries()) {
      await sink.checkCancelled();
      sink.step = `${i + 1} of ${req.resourceIds.length}`;
      let row: CheckpointRow | undefined;
      try {
        const res = await resourceRef(resourceId);
        row = await beginCheckpoint(db, { operationId: op.id, resourceId, tenantId: res.tenantId, bankId: bank.id, planId: req.planId, name: res.name, type: res.ref.type });
        if (row.status === 'available') {
          done.push({ resourceId, checkpointId: row.id });
          continue;
        }
        // An earlier attempt may have committed to the bank and died before the catalog heard of it.
        if (op.attempts > 1) {
          inBank ??= await deps.protection.checkpoints(bank);
          const committed = inBank.find((f) => tagValue(f.tags, 'operation') === op.id && tagValue(f.tags, 'resource') === resourceId);
          if (committed) {
            await completeCheckpoint(db, row.id, committed);
            await log(op.id, 'info', `${res.name}: found checkpoint ${committed.ref} committed by an earlier attempt`);
            done.push({ resourceId, checkpointId: row.id });
            continue;
          }
        }
        const latest = req.full ? undefined : await latestCheckpoint(db, resourceId, bank.id);
        const fullBecause = latest && policy ? await fullByPolicy(latest, policy) : undefined;
        if (fullBecause) await log(op.id, 'info', `${res.name}: full backup, as the policy asks ${fullBecause}`);
        const parent = fullBecause ? undefined : latest;
        await log(op.id, 'info', `${res.name}: ${parent ? `incremental backup on ${parent.bankRef}` : 'full backup'} into bank ${bank.location}`);
        const facts = await deps.protection.backup(bank, res.ref, {
          name: res.name, parentRef: parent?.bankRef ?? null, options: req.options, onProgress: sink.listener,
          tags: attributionTags({ tenantId: res.tenantId, resourceId, planId: req.planId, operationId: op.id }),
        });
        await completeCheckpoint(db, row.id, facts);
        for (const w of facts.warnings) await log(op.id, 'warning', `${res.name}: ${w}`);
        await log(op.id, 'info', `${res.name}: checkpoint ${facts.ref} (${facts.type}), read ${facts.sourceBytes} bytes of source, wrote ${facts.writtenBytes} bytes`);
        done.push({ resourceId, checkpointId: row.id });
      } catch (err) {
        if (isCancel(err) || transient(err)) {
          if (row) await setCheckpointStatus(db, row.id, isCancel(err) ? 'error' : 'protecting', isCancel(err) ? 'cancelled' : (err as Error).message);
          throw err;
        }
        const why = (err as Error).message;
        if (row) await setCheckpointStatus(db, row.id, 'error', why);
        await log(op.id, 'error', `resource ${resourceId}: ${why}`);
        failed.push({ resourceId, error: why });
      }
    }
    // Retention runs after backups that succeeded, so the last good checkpoint stays while newer ones fail.
    if (policy) for (const d of done) await expire(op, d.resourceId, bank.id, policy);
    if (failed.length) throw new Error(`${failed.length} of ${req.resourceIds.length} resources failed: ${failed.map((f) => f.error).join('; ')}`);
    return { checkpoints: done };
  }

  async function policyOfPlan(planId: string): Promise<PolicyRow | undefined> {
    const plan = await findPlan(db, planId);
    return plan && findPolicy(db, plan.policyId);
  }

  /** Why the policy wants a full backup where `latest` could be the parent (or undefined). */
  async function fullByPolicy(latest: CheckpointRow, policy: PolicyRow): Promise<string | undefined> {
    const { fullEvery, fullOn } = policy.timing;
    if (fullOn?.length && latest.completedAt) {
      const today = localTime(new Date(), policy.timeZone);
      if (fullOn.includes(today.weekday) && localTime(latest.completedAt, policy.timeZone).date !== today.date) return `on ${today.weekday}`;
    }
    if (fullEvery && latest.bankRef && (await chainLength(db, latest.bankId, latest.bankRef, fullEvery)) >= fullEvery) return `every ${fullEvery} backups`;
    return undefined;
  }

  /** Deletes, by operations of their own, the resource's checkpoints the policy's retention no longer keeps. */
  async function expire(op: OperationRow, resourceId: string, bankId: string, policy: PolicyRow): Promise<void> {
    const { held, selection: { remove } } = await expirySelection(db, resourceId, bankId, policy.retention, policy.timeZone);
    for (const id of remove) {
      const cp = held.find((c) => c.id === id)!;
      const made = await deps.submitOnce({
        tenantId: cp.tenantId, type: 'delete', createdBy: null, scheduled: true, dedupeKey: `expire:${id}:${op.id}`,
        request: { checkpointId: id, reason: `expired by the retention of policy ${policy.name}` },
      });
      if (made) await log(op.id, 'info', `checkpoint ${cp.bankRef} (${cp.name}) expired by the retention of policy ${policy.name}: deleted by operation ${made.id}`);
    }
  }

  async function restore(op: OperationRow, sink: ProgressSink): Promise<Record<string, unknown>> {
    const req = op.request as unknown as RestoreRequest;
    const cp = await findCheckpoint(db, req.checkpointId);
    if (!cp?.bankRef || cp.status !== 'available') throw new CairnError('not-found', `checkpoint ${req.checkpointId} is not available to restore`);
    const host = await findHost(db, req.hostId);
    if (!host) throw new CairnError('not-found', `the host ${req.hostId} is no longer registered`);
    if (op.attempts > 1 && req.newPath) {
      await deps.removePartial(req.newPath);
      await log(op.id, 'info', `removed ${req.newPath}, which an interrupted attempt left partly written`);
    }
    await log(op.id, 'info', `restoring checkpoint ${cp.bankRef} (${cp.name}) on host ${host.name}`);
    const at = { hostKind: host.kind, hostLocation: host.location };
    const out = await restoreFrom(op, cp, cp.bankRef, req, at, sink);
    await log(op.id, 'info', `restored ${out.restoredBytes} bytes to ${out.paths.join(', ')}${out.domain ? ` (domain ${out.domain})` : ''}`);
    return { ...out };
  }

  /**
   * Reads the site's copy of the bank when the request names one. A copy that does not hold the
   * checkpoint (not replicated yet) or cannot be read fails before anything is written, so the
   * restore then reads the checkpoint's own bank.
   */
  async function restoreFrom(op: OperationRow, cp: CheckpointRow, ref: string, req: RestoreRequest, at: Pick<ResourceRef, 'hostKind' | 'hostLocation'>, sink: ProgressSink) {
    if (req.bankId && req.bankId !== cp.bankId) {
      const copy = await db.selectFrom('banks').select('name').where('id', '=', req.bankId).executeTakeFirst();
      if (copy) {
        try {
          await log(op.id, 'info', `reading from bank ${copy.name}, the copy of the checkpoint's bank at the host's site`);
          return await deps.protection.restore(await bankAccess(req.bankId), ref, at, req.target, sink.listener);
        } catch (err) {
          if (!isCairnError(err, 'not-found')) throw err;
          await log(op.id, 'warning', `bank ${copy.name} cannot give checkpoint ${ref}: ${(err as Error).message}; reading from the checkpoint's own bank`);
        }
      }
    }
    return deps.protection.restore(await bankAccess(cp.bankId), ref, at, req.target, sink.listener);
  }

  async function remove(op: OperationRow): Promise<Record<string, unknown>> {
    const req = op.request as unknown as DeleteRequest;
    const cp = await findCheckpoint(db, req.checkpointId);
    if (!cp) return { deleted: req.checkpointId }; // an earlier attempt finished it
    await setCheckpointStatus(db, cp.id, 'deleting');
    if (cp.bankRef) {
      const res = cp.resourceId ? await resourceRef(cp.resourceId).catch(() => undefined) : undefined;
      await deps.protection.forget(await bankAccess(cp.bankId), cp.bankRef, res?.ref ?? null);
    }
    await removeCheckpoint(db, cp.id);
    await log(op.id, 'info', `deleted checkpoint ${cp.bankRef ?? cp.id} (${cp.name}); its data goes at the bank's next garbage collection`);
    return { deleted: cp.id };
  }

  async function verify(op: OperationRow, sink: ProgressSink): Promise<Record<string, unknown>> {
    const req = op.request as unknown as VerifyRequest;
    const verdicts: { checkpointId: string; damaged: boolean; problems: string[] }[] = [];
    const byBank = new Map<string, CheckpointRow[]>();
    for (const id of req.checkpointIds) {
      const cp = await findCheckpoint(db, id);
      if (!cp?.bankRef) throw new CairnError('not-found', `checkpoint ${id} is not in a bank`);
      byBank.set(cp.bankId, [...byBank.get(cp.bankId) ?? [], cp]);
    }
    for (const [bankId, cps] of byBank) {
      const found = await deps.protection.verify(await bankAccess(bankId), cps.map((c) => c.bankRef!), sink.listener);
      for (const v of found) {
        const cp = cps.find((c) => c.bankRef === v.ref)!;
        await recordVerification(db, bankId, v.ref, v.damaged);
        await log(op.id, v.damaged ? 'error' : 'info', `checkpoint ${v.ref} (${cp.name}): ${v.damaged ? `damaged: ${v.problems.join('; ')}` : 'intact'}`);
        if (v.damaged) await deps.notify(cp.tenantId, 'checkpoint.damaged', { checkpoint: { id: cp.id, bankRef: cp.bankRef, name: cp.name, resourceId: cp.resourceId }, problems: v.problems });
        verdicts.push({ checkpointId: cp.id, damaged: v.damaged, problems: v.problems });
      }
    }
    return { checkpoints: verdicts, damaged: verdicts.filter((v) => v.damaged).length };
  }

  async function gc(op: OperationRow, sink: ProgressSink): Promise<Record<string, unknown>> {
    const req = op.request as unknown as GcRequest;
    const r = await deps.protection.gc(await bankAccess(req.bankId), sink.listener);
    await log(op.id, 'info', `deleted ${r.deletedPacks} pack(s) no checkpoint needs, ${r.deletedBytes} bytes` +
      `${r.deferredPacks ? `; ${r.deferredPacks} wait for running backups to finish` : ''}`);
    return { ...r };
  }

  return async (operationId, attempt) => {
    const op = await startAttempt(db, operationId, attempt.jobId);
    if (!op) return; // ended already (cancelled while queued, or finished by an earlier attempt)
    if ('waitFor' in op) return deps.wait(operationId, op);
    const sink = new ProgressSink(db, op.id);
    await log(op.id, 'info', `attempt ${op.attempts} on node ${deps.node}`);
    try {
      await sink.checkCancelled();
      const result = op.type === 'backup' ? await backup(op, sink)
        : op.type === 'restore' ? await restore(op, sink)
          : op.type === 'delete' ? await remove(op)
            : op.type === 'gc' ? await gc(op, sink)
              : await verify(op, sink);
      await finishOperation(db, op.id, 'succeeded', { result });
      if (op.type === 'backup' || op.type === 'delete') await sampleUsage(db);
    } catch (err) {
      const why = (err as Error).message;
      if (isCancel(err)) {
        await log(op.id, 'info', 'cancelled');
        await finishOperation(db, op.id, 'cancelled', {});
        return;
      }
      if (transient(err) && !attempt.last) {
        await log(op.id, 'warning', `attempt ${op.attempts} failed, to be retried: ${why}`);
        throw err; // the queue retries it, with backoff
      }
      await log(op.id, 'error', why);
      await finishOperation(db, op.id, 'failed', { error: why });
      await deps.notify(op.tenantId, 'operation.failed', { operation: { id: op.id, type: op.type, scheduled: op.scheduled, request: op.request, error: why } })
        .catch(() => undefined); // the failure is recorded; telling of it is best effort
    }
  };
}

function isCancel(err: unknown): boolean {
  return err instanceof CairnError && err.code === 'cancelled';
}
