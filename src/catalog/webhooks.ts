/** Webhooks: URLs told of failures, plans out of RPO and damaged checkpoints, with a secret to sign each event. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, WebhookEvent } from './schema.ts';
import type { MasterKey } from './secrets.ts';

export interface WebhookRow { id: string; tenantId: string | null; url: string; events: WebhookEvent[]; createdAt: Date }

/** Makes a webhook; returns it with its secret (generated when none is given), shown this once. */
export async function createWebhook(db: Kysely<Database>, key: MasterKey, w: { tenantId: string | null; url: string; events: WebhookEvent[]; secret?: string }): Promise<WebhookRow & { secret: string }> {
  const id = randomUUID();
  const secret = w.secret ?? randomBytes(32).toString('base64url');
  const r = await db.insertInto('webhooks').values({ id, tenant_id: w.tenantId, url: w.url, events: JSON.stringify(w.events), secret_sealed: key.seal(secret, `webhook ${id}`) })
    .returning('created_at').executeTakeFirstOrThrow();
  return { id, tenantId: w.tenantId, url: w.url, events: w.events, createdAt: r.created_at, secret };
}

export async function listWebhooks(db: Kysely<Database>, tenants?: string[]): Promise<WebhookRow[]> {
  if (tenants?.length === 0) return [];
  let q = db.selectFrom('webhooks').select(['id', 'tenant_id', 'url', 'events', 'created_at']).orderBy('id');
  if (tenants) q = q.where('tenant_id', 'in', tenants);
  return (await q.execute()).map((r) => ({ id: r.id, tenantId: r.tenant_id, url: r.url, events: r.events, createdAt: r.created_at }));
}

export async function deleteWebhook(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

/** The webhooks an event of `tenantId` goes to: the tenant's own and the operators'. */
export async function webhooksFor(db: Kysely<Database>, key: MasterKey, tenantId: string | null, event: WebhookEvent): Promise<{ id: string; url: string; secret: string }[]> {
  const rows = await db.selectFrom('webhooks').select(['id', 'url', 'events', 'secret_sealed'])
    .where((eb) => (tenantId ? eb.or([eb('tenant_id', 'is', null), eb('tenant_id', '=', tenantId)]) : eb('tenant_id', 'is', null))).execute();
  return rows.filter((r) => r.events.includes(event)).map((r) => ({ id: r.id, url: r.url, secret: key.open(r.secret_sealed, `webhook ${r.id}`) }));
}
