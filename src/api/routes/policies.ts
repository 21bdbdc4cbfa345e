/**
 * Policies: a tenant's own, and offerings (published by operators, usable by every tenant). Tenants'
 * members write their tenant's policies; only operators write offerings.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { Catalog } from '../../catalog/catalog.ts';
import { createPolicy, deletePolicy, findPolicy, listPolicies, updatePolicy, type PolicyRow } from '../../catalog/policies.ts';
import { pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { principal } from '../auth.ts';
import { HttpProblem } from '../problem.ts';
import { requireOperator, requireTenantRole, targetTenant, visibleTenants } from '../scope.ts';
import type { Kysely } from 'kysely';
import type { Database, TenantRole } from '../../catalog/schema.ts';
import { nextRuns, WEEKDAYS, cronOf } from '../../core/schedule.ts';

const Count = z.number().int().min(0);
export const Retention = z.object({
  keepLast: Count.optional(), keepHourly: Count.optional(), keepDaily: Count.optional(), keepWeekly: Count.optional(), keepMonthly: Count.optional(), keepYearly: Count.optional(),
  keepWithin: z.string().optional().describe('a duration: 36h, 7d, 2w, 1y6m'),
}).strict();
export const Clock = z.string().regex(/^\d{1,2}:\d{2}$/, 'a local time HH:MM');
const Timing = z.object({
  window: z.object({ start: Clock, end: Clock }).optional().describe('ticks outside this daily window of local times start no backup (it may cross midnight)'),
  jitterSeconds: z.number().int().min(0).max(86_400).optional().describe('start each scheduled backup up to this many seconds late, at random'),
  fullEvery: z.number().int().min(1).optional().describe('a full backup when a resource\'s chain holds this many checkpoints'),
  fullOn: z.array(z.enum(WEEKDAYS)).optional().describe('the first backup of these days is full'),
}).strict();
const Fields = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).optional(),
  schedule: z.string().max(200).nullable().optional()
    .describe('a cron expression (five fields), or hourly at :MM, daily at HH:MM, weekly on mon,thu at HH:MM, monthly on day D at HH:MM; null or absent: manual backups only'),
  timeZone: z.string().optional().describe('the IANA time zone of the schedule and of retention periods (default UTC)'),
  retention: Retention,
  options: z.record(z.string(), z.unknown()).optional().describe('backup options, as the resource type\'s backupOptionsSchema describes them'),
  timing: Timing.optional(),
});
const Policy = Fields.required({ description: true, timeZone: true, options: true, timing: true }).extend({
  id: z.string(), tenantId: z.string().nullable().describe('null: an offering'), schedule: z.string().nullable(), createdAt: z.iso.datetime(),
});
const view = (p: PolicyRow) => ({ ...p, createdAt: p.createdAt.toISOString() });

/**
 * Backup options a tenant may set. The others name paths on the hosts (a scratch directory, an NBD
 * socket): only operators set them, in offerings, so a tenant cannot aim a backup at the host's files.
 */
const TENANT_OPTIONS = new Set(['quiesce', 'exclude']);

function checkOptions(request: FastifyRequest, options: Record<string, unknown> | undefined): void {
  if (principal(request).operator || !options) return;
  const reserved = Object.keys(options).filter((k) => !TENANT_OPTIONS.has(k));
  if (reserved.length) throw new HttpProblem(403, `the backup options ${reserved.join(', ')} are set by operators, in an offering; a tenant's policy may set ${[...TENANT_OPTIONS].join(', ')}`);
}

/** The policy, if the caller may see it (and change it with `role`): offerings are everyone's to read, operators' to change. */
export async function policyFor(db: Kysely<Database>, request: FastifyRequest, id: string, role: TenantRole): Promise<PolicyRow> {
  const p = await findPolicy(db, id);
  if (!p) throw new HttpProblem(404, `there is no policy ${id}`);
  if (p.tenantId === null) {
    if (role !== 'viewer') requireOperator(request);
  } else {
    requireTenantRole(request, p.tenantId, role, `policy ${id}`);
  }
  return p;
}

export function policyRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    app.post('/policies', {
      schema: { summary: 'Create a policy (operators without tenantId: an offering)', body: Fields.extend({ tenantId: z.string().optional() }), response: { 201: Policy } },
    }, async (request, reply) => {
      const { tenantId, ...fields } = request.body;
      const tenant = targetTenant(request, tenantId, 'member');
      checkOptions(request, fields.options);
      return reply.code(201).send(view(await createPolicy(db, tenant ?? null, fields)));
    });

    app.get('/policies', {
      schema: { summary: 'Your tenants\' policies and the offerings', querystring: pageQuery, response: { 200: pageSchema(Policy) } },
    }, async (request) => {
      const { limit, after } = request.query;
      const tenants = visibleTenants(request);
      return pageOf(await listPolicies(db, { limit, ...(after ? { after } : {}), ...(tenants ? { tenants } : {}) }), limit, view);
    });

    app.get('/offerings', {
      schema: { summary: 'The policies operators offer every tenant', querystring: pageQuery, response: { 200: pageSchema(Policy) } },
    }, async (request) => {
      const { limit, after } = request.query;
      return pageOf(await listPolicies(db, { limit, ...(after ? { after } : {}), tenants: [] }), limit, view);
    });

    const Id = z.object({ id: z.string() });
    app.get('/policies/:id', { schema: { summary: 'One policy', params: Id, response: { 200: Policy } } }, async (request) => view(await policyFor(db, request, request.params.id, 'viewer')));

    app.patch('/policies/:id', {
      schema: { summary: 'Change a policy', params: Id, body: Fields.partial(), response: { 200: Policy } },
    }, async (request) => {
      const p = await policyFor(db, request, request.params.id, 'member');
      checkOptions(request, request.body.options);
      return view(await updatePolicy(db, p.id, request.body));
    });

    app.get('/policies/:id/schedule', {
      schema: {
        summary: 'A policy\'s schedule as cron, and its next runs',
        params: Id, querystring: z.object({ count: z.coerce.number().int().min(1).max(100).default(5) }),
        response: { 200: z.object({ schedule: z.string().nullable(), cron: z.string().nullable(), timeZone: z.string(), nextRuns: z.array(z.iso.datetime()) }) },
      },
    }, async (request) => {
      const p = await policyFor(db, request, request.params.id, 'viewer');
      if (!p.schedule) return { schedule: null, cron: null, timeZone: p.timeZone, nextRuns: [] };
      return { schedule: p.schedule, cron: cronOf(p.schedule), timeZone: p.timeZone, nextRuns: nextRuns(p.schedule, p.timeZone, request.query.count).map((d) => d.toISOString()) };
    });

    app.delete('/policies/:id', { schema: { summary: 'Delete a policy no plan uses', params: Id, response: { 204: z.null() } } }, async (request, reply) => {
      await deletePolicy(db, (await policyFor(db, request, request.params.id, 'member')).id);
      return reply.code(204).send(null);
    });
    return Promise.resolve();
  };
}
