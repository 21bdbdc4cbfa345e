/** Quotas (operators set them; a tenant's members read theirs) and usage records for billing, as JSON or CSV. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { getQuota, setQuota, tenantUsage } from '../../catalog/quotas.ts';
import { findTenant } from '../../catalog/tenants.ts';
import { listUsage, type UsageRow } from '../../catalog/usage.ts';
import { HttpProblem } from '../problem.ts';
import { requireOperator, requireTenantRole, visibleTenants } from '../scope.ts';

const Limit = z.number().int().min(0).nullable();
const QuotaBody = z.object({
  maxResources: Limit.describe('resources the tenant\'s plans may protect; null: no limit'),
  maxCheckpoints: Limit.describe('checkpoints the tenant may hold'),
  maxStoredBytes: Limit.describe('bytes the tenant\'s checkpoints may have added to banks'),
});
const QuotaOut = z.object({ tenantId: z.string(), quota: QuotaBody, usage: z.object({ resources: z.number(), checkpoints: z.number(), storedBytes: z.number() }) });
const UsageOut = z.object({
  tenantId: z.string(), tenantName: z.string().nullable(), resourceId: z.string(), resourceName: z.string().nullable(), hour: z.iso.datetime(), checkpoints: z.number(), storedBytes: z.number(),
});

function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function usageCsv(rows: UsageRow[]): string {
  const head = 'hour,tenant_id,tenant,resource_id,resource,checkpoints,stored_bytes\n';
  return head + rows.map((r) => [r.hour.toISOString(), r.tenantId, r.tenantName, r.resourceId, r.resourceName, r.checkpoints, r.storedBytes].map(csvField).join(',') + '\n').join('');
}

export function quotaUsageRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    const Id = z.object({ id: z.string() });
    const quotaOf = async (tenantId: string) => ({ tenantId, quota: await getQuota(db, tenantId), usage: await tenantUsage(db, tenantId) });

    app.get('/tenants/:id/quota', { schema: { summary: 'A tenant\'s quota and what it uses of it', params: Id, response: { 200: QuotaOut } } }, async (request) => {
      requireTenantRole(request, request.params.id, 'viewer', `tenant ${request.params.id}`);
      if (!(await findTenant(db, request.params.id))) throw new HttpProblem(404, `there is no tenant ${request.params.id}`);
      return quotaOf(request.params.id);
    });

    app.put('/tenants/:id/quota', { schema: { summary: 'Set a tenant\'s quota (operators)', params: Id, body: QuotaBody, response: { 200: QuotaOut } } }, async (request) => {
      requireOperator(request);
      if (!(await findTenant(db, request.params.id))) throw new HttpProblem(404, `there is no tenant ${request.params.id}`);
      await setQuota(db, request.params.id, request.body);
      return quotaOf(request.params.id);
    });

    app.get('/usage', {
      schema: {
        summary: 'Usage per tenant, resource and hour (operators: every tenant; members: theirs); format=csv for a spreadsheet',
        querystring: z.object({
          from: z.iso.datetime().optional().describe('default: 30 days ago'), to: z.iso.datetime().optional().describe('default: now'),
          tenantId: z.string().optional(), format: z.enum(['json', 'csv']).default('json'),
        }),
        response: { 200: z.object({ items: z.array(UsageOut) }).or(z.string()) },
      },
    }, async (request, reply) => {
      const { from, to, tenantId, format } = request.query;
      let tenants = visibleTenants(request);
      if (tenantId) {
        requireTenantRole(request, tenantId, 'viewer', `tenant ${tenantId}`);
        tenants = [tenantId];
      }
      const end = to ? new Date(to) : new Date();
      const rows = await listUsage(db, { from: from ? new Date(from) : new Date(end.getTime() - 30 * 86_400_000), to: end, ...(tenants ? { tenants } : {}) });
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="cairn-usage.csv"').send(usageCsv(rows));
      return { items: rows.map((r) => ({ ...r, hour: r.hour.toISOString() })) };
    });
    return Promise.resolve();
  };
}
