/**
 * The job queue: pg-boss on the catalog's database (the same PGlite instance in embedded mode, the
 * PostgreSQL server otherwise). One queue carries every operation; a job holds only its operation's id.
 * A worker that dies stops its job's heartbeat, and pg-boss gives the job to another attempt.
 */
import { PgBoss, fromPglite, type Job } from 'pg-boss';
import type { JobsConnection } from '../catalog/catalog.ts';

const QUEUE = 'operations';
/** One job per tick of a schedule (a plan's backups, a bank's upkeep), made by pg-boss's cron once across every node. */
const TICKS = 'ticks';
/** One job per webhook delivery, retried with backoff until the receiver answers 2xx. */
const WEBHOOKS = 'webhooks';

export interface Delivery { webhookId: string; event: string; body: string }

/** What a tick is for: a plan's backup, or a bank's garbage collection or verification. */
export type Tick = { planId: string } | { bankId: string; task: 'gc' | 'verify' };

export interface QueueSettings {
  /** Seconds without a heartbeat before a job counts as abandoned (pg-boss's minimum is 10). */
  heartbeatSeconds: number;
  /** How often the queue looks for abandoned jobs. */
  superviseSeconds: number;
  /** Attempts after the first, for transient failures and interrupted workers. */
  retryLimit: number;
  retryDelaySeconds: number;
  /** Attempts after the first to deliver a webhook (2 s, 4 s, 8 s, ... apart). */
  webhookRetries: number;
}

export const defaultSettings: QueueSettings = { heartbeatSeconds: 30, superviseSeconds: 30, retryLimit: 3, retryDelaySeconds: 10, webhookRetries: 8 };

export interface OperationJob { operationId: string }
export type JobHandler = (operationId: string, attempt: { retry: number; last: boolean; signal: AbortSignal }) => Promise<void>;

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #settings: QueueSettings;

  private constructor(boss: PgBoss, settings: QueueSettings) {
    this.#boss = boss;
    this.#settings = settings;
  }

  static async start(connection: JobsConnection, settings: QueueSettings = defaultSettings): Promise<JobQueue> {
    const common = { schema: 'pgboss', superviseIntervalSeconds: settings.superviseSeconds, schedule: true };
    const boss = connection.kind === 'pglite'
      ? new PgBoss({ ...common, db: fromPglite(connection.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: connection.url, max: 4 });
    // pg-boss reports its own failures (a lost connection) as events; they must not end the process.
    boss.on('error', () => undefined);
    await boss.start();
    try {
      await boss.createQueue(QUEUE, {
        heartbeatSeconds: settings.heartbeatSeconds, retryLimit: settings.retryLimit, retryDelay: settings.retryDelaySeconds, retryBackoff: true,
        // A worker's death is noticed by its heartbeat; this bounds an attempt that hangs alive (pg-boss's longest).
        expireInSeconds: 24 * 3600,
      });
      // A tick only makes an operation: quick, and retried on its own if a node dies making it.
      await boss.createQueue(TICKS, { retryLimit: 3, retryDelay: 5, expireInSeconds: 300 });
      await boss.createQueue(WEBHOOKS, { retryLimit: settings.webhookRetries, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 });
    } catch (err) {
      await boss.stop({ graceful: false });
      throw err;
    }
    return new JobQueue(boss, settings);
  }

  /** Queues an operation; returns the job's id. Higher priorities run first (people's before schedules'). */
  async enqueue(operationId: string, options: { priority?: number; startAfterSeconds?: number } = {}): Promise<string> {
    const id = await this.#boss.send(QUEUE, { operationId } satisfies OperationJob, {
      ...(options.priority ? { priority: options.priority } : {}), ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
    });
    if (!id) throw new Error(`the queue refused the job of operation ${operationId}`);
    return id;
  }

  /** The job's state, or undefined when the queue no longer holds it. */
  async jobState(jobId: string): Promise<string | undefined> {
    return (await this.#boss.getJobById(QUEUE, jobId))?.state;
  }

  /** Runs operations as they come, `concurrency` at a time in this process. */
  async work(concurrency: number, handler: JobHandler): Promise<void> {
    await this.#boss.work<OperationJob>(QUEUE, { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs: Job<OperationJob>[]) => {
      for (const job of jobs) {
        await handler(job.data.operationId, { retry: job.retryCount, last: job.retryCount >= this.#settings.retryLimit, signal: job.signal });
      }
    });
  }

  /** Makes or changes a schedule (cron in a time zone), known by `key`. */
  async schedule(key: string, cron: string, timeZone: string, tick: Tick): Promise<void> {
    await this.#boss.schedule(TICKS, cron, tick, { tz: timeZone, key });
  }

  async unschedule(key: string): Promise<void> {
    await this.#boss.unschedule(TICKS, key);
  }

  async schedules(): Promise<{ key: string; cron: string; timeZone: string }[]> {
    return (await this.#boss.getSchedules(TICKS)).map((s) => ({ key: s.key, cron: s.cron, timeZone: s.timezone }));
  }

  /** Runs each tick as it comes: `handler` gets what it is for and the tick's job id (the same on a retry). */
  async workTicks(handler: (tick: Tick, tickId: string) => Promise<void>): Promise<void> {
    await this.#boss.work<Tick>(TICKS, { batchSize: 1, pollingIntervalSeconds: 2 }, async (jobs) => {
      for (const job of jobs) await handler(job.data, job.id);
    });
  }

  async sendWebhook(d: Delivery): Promise<void> {
    await this.#boss.send(WEBHOOKS, d);
  }

  /** Delivers each webhook job; a handler that throws has the delivery retried. */
  async workWebhooks(handler: (d: Delivery, deliveryId: string) => Promise<void>): Promise<void> {
    await this.#boss.work<Delivery>(WEBHOOKS, { batchSize: 1, pollingIntervalSeconds: 1, localConcurrency: 2 }, async (jobs) => {
      for (const job of jobs) await handler(job.data, job.id);
    });
  }

  async stop(): Promise<void> {
    await this.#boss.stop({ graceful: true, timeout: 10_000 });
  }
}
