/**
 * The job queue: pg-boss on the catalog's database (the same PGlite instance in embedded mode, the
 * PostgreSQL server otherwise). One queue carries every operation; a job holds only its operation's id.
 * A worker that dies stops its job's heartbeat, and pg-boss gives the job to another attempt.
 */
import { PgBoss, fromPglite, type Job } from 'pg-boss';
import type { JobsConnection } from '../catalog/catalog.ts';
import type { JobRoute as PlacedRoute } from '../catalog/placement.ts';

const QUEUE = 'operations';
/** The queue of a host served by agents (`cairn worker --host`): only they work it. */
const hostQueue = (hostId: string): string => `operations.host.${hostId}`;
/** One job per webhook delivery, retried with backoff until the receiver answers 2xx. */
const WEBHOOKS = 'webhooks';
/** Where pg-boss crons sent plans' ticks before the scheduler turns (scheduler.ts) replaced them. */
const FORMER_TICKS = 'ticks';

/** The highest per-host limit the queue enforces; a host allowing more is not limited. */
export const MAX_GROUP_LIMIT = 256;

export interface Delivery { webhookId: string; event: string; body: string }

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

function operationQueueOptions(settings: QueueSettings) {
  return {
    heartbeatSeconds: settings.heartbeatSeconds, retryLimit: settings.retryLimit, retryDelay: settings.retryDelaySeconds, retryBackoff: true,
    // A worker's death is noticed by its heartbeat; this bounds an attempt that hangs alive (pg-boss's longest).
    expireInSeconds: 24 * 3600,
  };
}
export type JobHandler = (operationId: string, attempt: { jobId: string; retry: number; last: boolean; signal: AbortSignal }) => Promise<void>;

/** Where a job goes: in a host's group when the host limits what runs at once, to the host's queue when agents serve it. */
export type JobRoute = Pick<PlacedRoute, 'hostId' | 'limit' | 'agent'>;

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #settings: QueueSettings;
  /** The host queues made (or found) by this process. */
  readonly #made = new Set<string>([QUEUE]);

  private constructor(boss: PgBoss, settings: QueueSettings) {
    this.#boss = boss;
    this.#settings = settings;
  }

  static async start(connection: JobsConnection, settings: QueueSettings = defaultSettings): Promise<JobQueue> {
    // The scheduler is ours (scheduler.ts): pg-boss's cron is not run.
    const common = { schema: 'pgboss', superviseIntervalSeconds: settings.superviseSeconds, schedule: false };
    const boss = connection.kind === 'pglite'
      ? new PgBoss({ ...common, db: fromPglite(connection.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: connection.url, max: 4 });
    // pg-boss reports its own failures (a lost connection) as events; they must not end the process.
    boss.on('error', () => undefined);
    await boss.start();
    try {
      await boss.createQueue(QUEUE, operationQueueOptions(settings));
      await boss.createQueue(WEBHOOKS, { retryLimit: settings.webhookRetries, retryDelay: 2, retryBackoff: true, expireInSeconds: 60 });
      // A catalog from before the scheduler turns: its crons and their jobs go with their queue.
      if (await boss.getQueue(FORMER_TICKS)) await boss.deleteQueue(FORMER_TICKS);
    } catch (err) {
      await boss.stop({ graceful: false });
      throw err;
    }
    return new JobQueue(boss, settings);
  }

  /**
   * Queues operations' jobs, each with the id its operation was given, in a statement per thousand.
   * Sending one again changes nothing. Higher priorities run first (people's before schedules').
   */
  async enqueue(jobs: { jobId: string; operationId: string; priority?: number; startAfter?: Date; route?: JobRoute }[]): Promise<void> {
    const byQueue = new Map<string, typeof jobs>();
    for (const j of jobs) {
      const name = j.route?.agent ? hostQueue(j.route.hostId) : QUEUE;
      const list = byQueue.get(name);
      if (list) list.push(j);
      else byQueue.set(name, [j]);
    }
    for (const [name, list] of byQueue) {
      await this.#ensure(name);
      for (let i = 0; i < list.length; i += 1000) {
        await this.#boss.insert(name, list.slice(i, i + 1000).map((j) => ({
          id: j.jobId, data: { operationId: j.operationId } satisfies OperationJob,
          ...(j.priority ? { priority: j.priority } : {}), ...(j.startAfter ? { startAfter: j.startAfter } : {}),
          // The tier carries the limit: the workers map tier "n" to n (see work()).
          ...(j.route?.limit ? { group: { id: `host:${j.route.hostId}`, tier: String(Math.min(j.route.limit, MAX_GROUP_LIMIT)) } } : {}),
        })));
      }
    }
  }

  async #ensure(name: string): Promise<void> {
    if (this.#made.has(name)) return;
    await this.#boss.createQueue(name, operationQueueOptions(this.#settings)); // made once: pg-boss ignores a queue that exists
    this.#made.add(name);
  }

  /** The job's state, or undefined when the queue no longer holds it (in the common queue or, when it has agents, its host's). */
  async jobState(jobId: string, hostId: string | null): Promise<string | undefined> {
    for (const name of hostId ? [QUEUE, hostQueue(hostId)] : [QUEUE]) {
      if (!this.#made.has(name) && !(await this.#boss.getQueue(name))) continue; // a host that never had an agent has no queue
      this.#made.add(name);
      const state = (await this.#boss.findJobs(name, { id: jobId, limit: 1 }))[0]?.state;
      if (state) return state;
    }
    return undefined;
  }

  /** Drops a host's queue and its jobs, when the host no longer has agents (their operations were given new jobs). */
  async dropHostQueue(hostId: string): Promise<void> {
    const name = hostQueue(hostId);
    if (await this.#boss.getQueue(name)) await this.#boss.deleteQueue(name);
    this.#made.delete(name);
  }

  /**
   * Runs operations as they come, `concurrency` at a time in this process, and no more at once across
   * the cluster in a host's group than its limit: pg-boss counts a group's active jobs when fetching.
   */
  async work(concurrency: number, handler: JobHandler, agentOf: string[] = []): Promise<void> {
    const groupConcurrency = { default: MAX_GROUP_LIMIT, tiers: Object.fromEntries(Array.from({ length: MAX_GROUP_LIMIT }, (_, i) => [String(i + 1), i + 1])) };
    // An agent works its hosts' queues only; every other node, the common one.
    for (const name of agentOf.length ? agentOf.map(hostQueue) : [QUEUE]) {
      await this.#ensure(name);
      await this.#boss.work<OperationJob>(name, { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 1, groupConcurrency }, async (jobs: Job<OperationJob>[]) => {
        for (const job of jobs) {
          await handler(job.data.operationId, { jobId: job.id, retry: job.retryCount, last: job.retryCount >= this.#settings.retryLimit, signal: job.signal });
        }
      });
    }
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
