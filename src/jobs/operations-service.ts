/**
 * Operations as the API submits them and the workers run them: submit queues a job for a new
 * operation; the sweep ends operations whose job can no longer run (its retries spent while its
 * worker was dead) and queues again those whose job was never sent.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Catalog } from '../catalog/catalog.ts';
import { appendLog, createOperation, deferOperation, finishOperation, lookedAt, operationsToSweep, wakeWaiter, type OperationRow, type Wait } from '../catalog/operations.ts';
import { AGENT_GONE_MS, releaseAgentHost } from '../catalog/resources.ts';
import type { Database, OperationType } from '../catalog/schema.ts';
import { sampleUsage } from '../catalog/usage.ts';
import { operationRunner, type RunnerDeps } from './runner.ts';
import { JobQueue, defaultSettings, type QueueSettings } from './queue.ts';
import { schedulerTurn } from './scheduler.ts';
import { jobRoutes, type JobRoute } from '../catalog/placement.ts';
import { checkRpo, deliverer, notifier, type Notify } from './notifier.ts';

export interface OperationsOptions extends Omit<RunnerDeps, 'db' | 'submitOnce' | 'notify' | 'wait'> {
  settings?: QueueSettings;
  /** Operations this process runs at once; 0: this node only queues (an API-only node). */
  concurrency: number;
  /** How often this node tries a scheduler turn (a tick's backup is made at most this late). */
  schedulerSeconds?: number;
  /** The hosts this node is the agent of (`cairn worker --host`): it runs their operations and no others. */
  agentOf?: string[];
}

export interface NewOperation {
  tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null;
  /** Made once per key (a schedule's tick). */
  dedupeKey?: string;
  /** A schedule's: it runs after what people asked for. */
  scheduled?: boolean;
}

/** A failed turn or sweep is tried again at the next interval; said on stderr so that a stuck scheduler shows. */
function complain(what: string, err: unknown): void {
  process.stderr.write(`cairn: ${what} failed, to be tried again: ${(err as Error).message}\n`);
}

/** Operations people ask for run before the ones schedules and expiry make. */
const PEOPLE_FIRST = 10;
const priorityOf = (scheduled: boolean): number => (scheduled ? 0 : PEOPLE_FIRST);

/**
 * How long an operation that found its host or bank full waits before it looks again: 10 s, doubling
 * with each wait up to about 5 min, spread by up to half again so that waiters do not come back
 * together. Most are woken sooner, by the end of an operation there (wakeWaiter).
 */
export function waitDelayMs(waits: number): number {
  const base = 10_000 * 2 ** Math.min(waits, 5);
  return base + randomInt(0, base / 2 + 1);
}

/** What an operation bound to an agent's host says while no agent runs. */
const noAgent = (r: JobRoute): string =>
  `waiting: no agent of host ${r.hostName} has been heard from since ${r.agentSeenAt!.toISOString()}; start one (cairn worker --host ${r.hostName}) on a machine that reaches it`;

export class Operations {
  readonly #db: Kysely<Database>;
  readonly #queue: JobQueue;
  readonly #notify: Notify;
  #sweeper: NodeJS.Timeout | undefined;
  #scheduler: NodeJS.Timeout | undefined;
  #turning: Promise<void> | undefined;

  private constructor(db: Kysely<Database>, queue: JobQueue, notify: Notify) {
    this.#db = db;
    this.#queue = queue;
    this.#notify = notify;
  }

  static async start(catalog: Catalog, options: OperationsOptions): Promise<Operations> {
    const settings = options.settings ?? defaultSettings;
    const queue = await JobQueue.start(catalog.jobs, settings);
    // Stopped again if what follows fails: a queue left running keeps the process alive.
    try {
      return await Operations.#started(catalog, queue, settings, options);
    } catch (err) {
      await queue.stop();
      throw err;
    }
  }

  static async #started(catalog: Catalog, queue: JobQueue, settings: QueueSettings, options: OperationsOptions): Promise<Operations> {
    const notify = notifier(catalog.db, options.masterKey, queue);
    const ops = new Operations(catalog.db, queue, notify);
    await ops.sweep();
    await queue.workWebhooks(deliverer(catalog.db, options.masterKey));
    ops.#sweeper = setInterval(() => void ops.sweep().catch((err: unknown) => complain('sweep', err)), settings.superviseSeconds * 1000);
    ops.#sweeper.unref();
    ops.#scheduler = setInterval(() => void ops.turn().catch((err: unknown) => complain('scheduler turn', err)), (options.schedulerSeconds ?? 5) * 1000);
    ops.#scheduler.unref();
    const run = operationRunner({ ...options, db: catalog.db, notify, submitOnce: (op) => ops.submitOnce(op), wait: (id, wait) => ops.#wait(id, wait) });
    if (options.concurrency > 0) {
      await queue.work(options.concurrency, async (id, attempt) => {
        await run(id, attempt);
        // Its slot on its host and bank is free (unless it is to be retried): the first waiter there goes now.
        await ops.#wake(id).catch((err: unknown) => complain('waking a waiting operation', err));
      }, options.agentOf);
    }
    return ops;
  }

  /** Makes and queues an operation; undefined when its dedupe key made one already. */
  async submitOnce(op: NewOperation): Promise<OperationRow | undefined> {
    const made = await createOperation(this.#db, op);
    if (!made) return undefined;
    await this.#send([{ jobId: made.jobId, operationId: made.row.id, priority: priorityOf(op.scheduled ?? false) }]);
    return made.row;
  }

  /**
   * Queues operations' jobs: to their host's agents when it has some, in its group when it limits how
   * many run at once. One bound to an agent that is gone says so in its log.
   */
  async #send(jobs: { jobId: string; operationId: string; priority?: number; startAfter?: Date }[]): Promise<void> {
    const routes = await jobRoutes(this.#db, jobs.map((j) => j.operationId));
    await this.#queue.enqueue(jobs.map((j) => {
      const route = routes.get(j.operationId);
      return route ? { ...j, route } : j;
    }));
    const gone = jobs.flatMap((j) => {
      const r = routes.get(j.operationId);
      return r?.agent && Date.now() - r.agentSeenAt!.getTime() > AGENT_GONE_MS ? [{ operation_id: j.operationId, level: 'warning' as const, message: noAgent(r) }] : [];
    });
    for (let i = 0; i < gone.length; i += 1000) await this.#db.insertInto('operation_log').values(gone.slice(i, i + 1000)).execute();
  }

  /** A waiting operation is tried again later, longer with each wait (a new job: the one that found no slot ends). */
  async #wait(operationId: string, wait: Wait): Promise<void> {
    const jobId = randomUUID();
    const startAfter = new Date(Date.now() + waitDelayMs(wait.waits));
    if (!(await deferOperation(this.#db, operationId, jobId, wait.waitFor, startAfter))) return;
    await this.#send([{ jobId, operationId, priority: priorityOf(wait.scheduled), startAfter }]);
  }

  async #wake(ended: string): Promise<void> {
    const next = await wakeWaiter(this.#db, ended);
    if (next) await this.#send([{ jobId: next.jobId, operationId: next.id, priority: priorityOf(next.scheduled) }]);
  }

  /**
   * Gives a host whose agents are gone back to the servers and plain workers: its queued operations,
   * and those its dead agent left running, go to the common queue with new jobs.
   */
  async releaseAgent(hostId: string): Promise<void> {
    const moved = await releaseAgentHost(this.#db, hostId);
    await this.#queue.dropHostQueue(hostId);
    await this.#send(moved.map((m) => ({ jobId: m.jobId, operationId: m.id, priority: priorityOf(m.scheduled) })));
  }

  async submit(op: Omit<NewOperation, 'dedupeKey'>): Promise<OperationRow> {
    return (await this.submitOnce(op))!;
  }

  /** A scheduler turn (see scheduler.ts), then its operations queued; one at a time in this process. */
  async turn(): Promise<void> {
    this.#turning ??= this.#turn().finally(() => (this.#turning = undefined));
    return this.#turning;
  }

  async #turn(): Promise<void> {
    const turn = await schedulerTurn(this.#db);
    if (!turn) return;
    // Jobs lost between the turn's commit and here (this node died) are sent by the sweep.
    await this.#send(turn.queued);
    for (const r of turn.refused) {
      await this.#notify(r.tenantId, 'operation.failed', { operation: { id: r.operationId, type: 'backup', scheduled: true, request: r.request, error: r.error } });
    }
  }

  /** Ends what can no longer run and queues what was never queued; safe to run on every node at once. */
  async sweep(): Promise<void> {
    const alive: string[] = [];
    for (const op of await operationsToSweep(this.#db)) {
      const state = await this.#queue.jobState(op.jobId, op.hostId);
      if (op.state === 'queued' && (state === 'created' || state === 'retry')) alive.push(op.id);
      if (state === undefined && op.state === 'queued' && op.attempts === 0) {
        // Never sent: its submitter died between making it and queueing it.
        await this.#send([{ jobId: op.jobId, operationId: op.id, priority: priorityOf(op.scheduled) }]);
      } else if (state === undefined || state === 'completed' || state === 'failed' || state === 'cancelled') {
        // Only if the job looked at is still its own: a waiting operation gets a new job every few seconds.
        const error = 'interrupted: the worker running it stopped and no attempt is left; run it again';
        if (await finishOperation(this.#db, op.id, 'failed', { error, jobId: op.jobId })) await appendLog(this.#db, op.id, 'error', error);
      }
    }
    // Found waiting in the queue (for an agent, say): looked at again after the others.
    await lookedAt(this.#db, alive);
    await sampleUsage(this.#db);
    await checkRpo(this.#db, this.#notify);
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    clearInterval(this.#scheduler);
    await this.#turning?.catch(() => undefined);
    await this.#queue.stop();
  }
}
