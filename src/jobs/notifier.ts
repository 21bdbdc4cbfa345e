/**
 * Tells webhooks what people must act on: an operation that failed, a plan out of its RPO, a damaged
 * checkpoint. Each event is a job of the webhooks queue (retried with backoff until the receiver
 * answers 2xx), holding the event but not the secret: that is read, sealed, from the catalog when the
 * delivery is made. Each delivery is signed: `Cairn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<body>" under the webhook's secret>`.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { enabledPlanStatuses } from '../catalog/rpo.ts';
import { inChunks } from '../catalog/chunks.ts';
import type { Database, WebhookEvent } from '../catalog/schema.ts';
import type { MasterKey } from '../catalog/secrets.ts';
import { webhooksFor } from '../catalog/webhooks.ts';
import type { Delivery, JobQueue } from './queue.ts';

export type Notify = (tenantId: string | null, event: WebhookEvent, data: Record<string, unknown>) => Promise<void>;

export function signature(secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

export function notifier(db: Kysely<Database>, key: MasterKey, queue: JobQueue): Notify {
  return async (tenantId, event, data) => {
    const body = JSON.stringify({ event, at: new Date().toISOString(), tenantId, ...data });
    for (const w of await webhooksFor(db, key, tenantId, event)) await queue.sendWebhook({ webhookId: w.id, event, body });
  };
}

/** Posts one delivery; throws (for a retry) unless the receiver answers 2xx within 10 s. */
export function deliverer(db: Kysely<Database>, key: MasterKey) {
  return async (d: Delivery, deliveryId: string): Promise<void> => {
    const row = await db.selectFrom('webhooks').select(['url', 'secret_sealed']).where('id', '=', d.webhookId).executeTakeFirst();
    if (!row) return; // deleted since: nobody to tell
    const res = await fetch(row.url, {
      method: 'POST', body: d.body, signal: AbortSignal.timeout(10_000), redirect: 'error',
      headers: {
        'content-type': 'application/json', 'user-agent': 'cairn-webhook', 'cairn-event': d.event, 'cairn-delivery': deliveryId,
        'cairn-signature': signature(key.open(row.secret_sealed, `webhook ${d.webhookId}`), d.body),
      },
    });
    if (!res.ok) throw new Error(`webhook ${d.webhookId} answered ${res.status}`);
  };
}

/** Tells of plans that fell out of their RPO, once per lapse (claimed by an update, safe on every node). */
export async function checkRpo(db: Kysely<Database>, notify: Notify): Promise<void> {
  const statuses = await enabledPlanStatuses(db);
  const within = statuses.filter((s) => !s.status.outOfRpo).map((s) => s.plan.id);
  // Back within: the next lapse is told again.
  await inChunks(within, (chunk) => db.updateTable('plans').set({ rpo_alerted_at: null }).where('id', 'in', chunk).where('rpo_alerted_at', 'is not', null).execute());
  const out = statuses.filter((s) => s.status.outOfRpo);
  const claimed = new Set((await inChunks(out.map((s) => s.plan.id), (chunk) => db.updateTable('plans').set({ rpo_alerted_at: new Date() })
    .where('id', 'in', chunk).where('rpo_alerted_at', 'is', null).returning('id').execute())).map((r) => r.id));
  for (const { plan, status } of out) {
    if (!claimed.has(plan.id)) continue;
    await notify(plan.tenantId, 'plan.out_of_rpo', {
      plan: { id: plan.id, name: plan.name, rpoSeconds: status.rpoSeconds },
      resources: status.resources.filter((r) => r.outOfRpo).map((r) => ({ id: r.resourceId, lastGoodAt: r.lastGoodAt?.toISOString() ?? null })),
      lastFailure: status.lastFailure && { operationId: status.lastFailure.operationId, at: status.lastFailure.at.toISOString(), error: status.lastFailure.error },
    });
  }
}
