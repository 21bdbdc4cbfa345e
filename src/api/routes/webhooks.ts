/**
 * Webhooks: operators' (told of every tenant's events) and tenants' (their admins make them, https
 * only: the server posts to them from inside the operator's network). The secret that signs each
 * delivery is shown once, when the webhook is made.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import type { MasterKey } from '../../catalog/secrets.ts';
import { createWebhook, deleteWebhook, listWebhooks, type WebhookRow } from '../../catalog/webhooks.ts';
import { principal } from '../auth.ts';
import { HttpProblem } from '../problem.ts';
import { requireTenantRole, targetTenant, visibleTenants } from '../scope.ts';

const Event = z.enum(['operation.failed', 'plan.out_of_rpo', 'checkpoint.damaged']);
const Webhook = z.object({ id: z.string(), tenantId: z.string().nullable(), url: z.string(), events: z.array(Event), createdAt: z.iso.datetime() });
const view = (w: WebhookRow) => ({ ...w, createdAt: w.createdAt.toISOString() });

export function webhookRoutes(catalog: Catalog, key: MasterKey): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    app.post('/webhooks', {
      schema: {
        summary: 'Be told of failed operations, plans out of RPO and damaged checkpoints (operators: of every tenant; a tenant\'s admins: of theirs)',
        body: z.object({
          url: z.url({ protocol: /^https?$/ }).max(2000), events: z.array(Event).min(1),
          secret: z.string().min(16).max(200).optional().describe('signs each delivery (HMAC-SHA256); generated when absent'),
          tenantId: z.string().optional(),
        }),
        response: { 201: Webhook.extend({ secret: z.string().describe('shown this once') }) },
      },
    }, async (request, reply) => {
      const { url, events, secret, tenantId } = request.body;
      const tenant = targetTenant(request, tenantId, 'admin') ?? null;
      if (tenant && !principal(request).operator && !url.startsWith('https://')) throw new HttpProblem(400, 'a tenant\'s webhook is an https:// URL');
      const w = await createWebhook(db, key, { tenantId: tenant, url, events: [...new Set(events)], ...(secret ? { secret } : {}) });
      return reply.code(201).send({ ...view(w), secret: w.secret });
    });

    app.get('/webhooks', { schema: { summary: 'The webhooks you may see', response: { 200: z.object({ items: z.array(Webhook) }) } } }, async (request) => {
      return { items: (await listWebhooks(db, visibleTenants(request))).map(view) };
    });

    app.delete('/webhooks/:id', { schema: { summary: 'Delete a webhook', params: z.object({ id: z.string() }), response: { 204: z.null() } } }, async (request, reply) => {
      const w = (await listWebhooks(db)).find((x) => x.id === request.params.id);
      if (!w) throw new HttpProblem(404, `there is no webhook ${request.params.id}`);
      requireTenantRole(request, w.tenantId, 'admin', `webhook ${w.id}`);
      await deleteWebhook(db, w.id);
      return reply.code(204).send(null);
    });
    return Promise.resolve();
  };
}
