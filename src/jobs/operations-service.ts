/**
 * Operations as the API submits them and the workers run them: submit queues a job for a new
 * operation; the sweep ends operations whose job can no longer run (its retries spent while its
 * worker was dead) and queues again those whose job was never sent.
 */
import type { Kysely } from 'kysely';
import type { Catalog } from '../catalog/catalog.ts';
import { appendLog, createOperation, finishOperation, setJobId, unfinishedOperations, type OperationRow } from '../catalog/operations.ts';
import type { Database, OperationType } from '../catalog/schema.ts';
import { sampleUsage } from '../catalog/usage.ts';
import { operationRunner, type RunnerDeps } from './runner.ts';
import { JobQueue, defaultSettings, type QueueSettings } from './queue.ts';
import { syncSchedules, tickHandler } from './scheduler.ts';
import { checkRpo, deliverer, notifier, type Notify } from './notifier.ts';

export interface OperationsOptions extends Omit<RunnerDeps, 'db' | 'submitOnce' | 'notify'> {
  settings?: QueueSettings;
  /** Operations this process runs at once; 0: this node only queues (an API-only node). */
  concurrency: number;
}

export interface NewOperation {
  tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null;
  /** Made once per key (a schedule's tick). */
  dedupeKey?: string;
  /** A schedule's: it runs after what people asked for, and may start up to `startAfterSeconds` late. */
  scheduled?: boolean;
  startAfterSeconds?: number;
}

/** Operations people ask for run before the ones schedules and expiry make. */
const PEOPLE_FIRST = 10;

export class Operations {
  readonly #db: Kysely<Database>;
  readonly #queue: JobQueue;
  readonly #notify: Notify;
  #sweeper: NodeJS.Timeout | undefined;

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
    await queue.workTicks(tickHandler(catalog.db, (op) => ops.submitOnce(op)));
    ops.#sweeper = setInterval(() => void ops.sweep().catch(() => undefined), settings.superviseSeconds * 1000);
    ops.#sweeper.unref();
    if (options.concurrency > 0) await queue.work(options.concurrency, operationRunner({ ...options, db: catalog.db, notify, submitOnce: (op) => ops.submitOnce(op) }));
    return ops;
  }

  /** Makes and queues an operation; undefined when its dedupe key made one already. */
  async submitOnce(op: NewOperation): Promise<OperationRow | undefined> {
    const row = await createOperation(this.#db, op);
    if (!row) return undefined;
    await setJobId(this.#db, row.id, await this.#queue.enqueue(row.id, { priority: op.scheduled ? 0 : PEOPLE_FIRST, ...(op.startAfterSeconds ? { startAfterSeconds: op.startAfterSeconds } : {}) }));
    return row;
  }

  async submit(op: Omit<NewOperation, 'dedupeKey'>): Promise<OperationRow> {
    return (await this.submitOnce(op))!;
  }

  /** Brings the schedules in line with the plans (after a plan or a policy changed). */
  async syncSchedules(): Promise<void> {
    await syncSchedules(this.#db, this.#queue);
  }

  /** Ends what can no longer run and queues what was never queued; safe to run on every node at once. */
  async sweep(): Promise<void> {
    await this.syncSchedules();
    for (const op of await unfinishedOperations(this.#db)) {
      if (!op.jobId) {
        // Its submitter may be between making the row and queueing the job: only an old one was lost.
        if (Date.now() - op.createdAt.getTime() < 5 * 60_000) continue;
        await setJobId(this.#db, op.id, await this.#queue.enqueue(op.id));
        continue;
      }
      const state = await this.#queue.jobState(op.jobId);
      if (state === undefined || state === 'completed' || state === 'failed' || state === 'cancelled') {
        await appendLog(this.#db, op.id, 'error', 'interrupted: the worker running it stopped and no attempt is left');
        await finishOperation(this.#db, op.id, 'failed', { error: 'interrupted: the worker running it stopped and no attempt is left; run it again' });
      }
    }
    await sampleUsage(this.#db);
    await checkRpo(this.#db, this.#notify);
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#queue.stop();
  }
}
