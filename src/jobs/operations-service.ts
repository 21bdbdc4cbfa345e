/**
 * Operations as the API submits them and the workers run them: submit queues a job for a new
 * operation; the sweep ends operations whose job can no longer run (its retries spent while its
 * worker was dead) and queues again those whose job was never sent.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Catalog } from '../catalog/catalog.ts';
import { appendLog, createOperation, deferOperation, finishOperation, operationsToSweep, type OperationRow } from '../catalog/operations.ts';
import type { Database, OperationType } from '../catalog/schema.ts';
import { sampleUsage } from '../catalog/usage.ts';
import { operationRunner, type RunnerDeps } from './runner.ts';
import { JobQueue, defaultSettings, type QueueSettings } from './queue.ts';
import { schedulerTurn } from './scheduler.ts';
import { jobRoutes } from '../catalog/placement.ts';
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
    if (options.concurrency > 0) await queue.work(options.concurrency, operationRunner({
      ...options, db: catalog.db, notify, submitOnce: (op) => ops.submitOnce(op), wait: (id, scheduled, why) => ops.#wait(id, scheduled, why),
    }), options.agentOf);
    return ops;
  }

  /** Makes and queues an operation; undefined when its dedupe key made one already. */
  async submitOnce(op: NewOperation): Promise<OperationRow | undefined> {
    const made = await createOperation(this.#db, op);
    if (!made) return undefined;
    await this.#send([{ jobId: made.jobId, operationId: made.row.id, priority: op.scheduled ? 0 : PEOPLE_FIRST }]);
    return made.row;
  }

  /** Queues operations' jobs: to their host's agents when it has some, in its group when it limits how many run at once. */
  async #send(jobs: { jobId: string; operationId: string; priority?: number; startAfter?: Date }[]): Promise<void> {
    const routes = await jobRoutes(this.#db, jobs.map((j) => j.operationId));
    await this.#queue.enqueue(jobs.map((j) => {
      const route = routes.get(j.operationId);
      return route ? { ...j, route } : j;
    }));
  }

  /** A waiting operation is tried again in 10 to 20 s (a new job: the one that found no slot ends). */
  async #wait(operationId: string, scheduled: boolean, why: string): Promise<void> {
    const jobId = randomUUID();
    if (!(await deferOperation(this.#db, operationId, jobId, why))) return;
    await this.#send([{ jobId, operationId, priority: scheduled ? 0 : PEOPLE_FIRST, startAfter: new Date(Date.now() + randomInt(10_000, 20_000)) }]);
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
    for (const op of await operationsToSweep(this.#db)) {
      const state = await this.#queue.jobState(op.jobId, op.hostId);
      if (state === undefined && op.state === 'queued' && op.attempts === 0) {
        // Never sent: its submitter died between making it and queueing it.
        await this.#send([{ jobId: op.jobId, operationId: op.id }]);
      } else if (state === undefined || state === 'completed' || state === 'failed' || state === 'cancelled') {
        // Only if the job looked at is still its own: a waiting operation gets a new job every few seconds.
        const error = 'interrupted: the worker running it stopped and no attempt is left; run it again';
        if (await finishOperation(this.#db, op.id, 'failed', { error, jobId: op.jobId })) await appendLog(this.#db, op.id, 'error', error);
      }
    }
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
