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

export interface OperationsOptions extends Omit<RunnerDeps, 'db'> {
  settings?: QueueSettings;
  /** Operations this process runs at once; 0: this node only queues (an API-only node). */
  concurrency: number;
}

export interface NewOperation { tenantId: string | null; type: OperationType; request: Record<string, unknown>; createdBy: string | null }

export class Operations {
  readonly #db: Kysely<Database>;
  readonly #queue: JobQueue;
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(db: Kysely<Database>, queue: JobQueue) {
    this.#db = db;
    this.#queue = queue;
  }

  static async start(catalog: Catalog, options: OperationsOptions): Promise<Operations> {
    const settings = options.settings ?? defaultSettings;
    const queue = await JobQueue.start(catalog.jobs, settings);
    const ops = new Operations(catalog.db, queue);
    await ops.sweep();
    ops.#sweeper = setInterval(() => void ops.sweep().catch(() => undefined), settings.superviseSeconds * 1000);
    ops.#sweeper.unref();
    if (options.concurrency > 0) await queue.work(options.concurrency, operationRunner({ ...options, db: catalog.db }));
    return ops;
  }

  async submit(op: NewOperation): Promise<OperationRow> {
    const row = await createOperation(this.#db, op);
    await setJobId(this.#db, row.id, await this.#queue.enqueue(row.id));
    return row;
  }

  /** Ends what can no longer run and queues what was never queued; safe to run on every node at once. */
  async sweep(): Promise<void> {
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
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#queue.stop();
  }
}
