/** Plans: a tenant's resources protected by a policy into a bank. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Catalog } from '../../catalog/catalog.ts';
import { defaultBankOf, listBankChoices } from '../../catalog/banks.ts';
import { createPlan, deletePlan, findPlan, listPlans, updatePlan, type PlanRow } from '../../catalog/plans.ts';
import { findPolicy } from '../../catalog/policies.ts';
import { planStatus, type PlanStatus } from '../../catalog/rpo.ts';
import type { Database, TenantRole } from '../../catalog/schema.ts';
import { pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { requireTenantRole, targetTenant, visibleTenants } from '../scope.ts';

const Fields = z.object({
  name: z.string().trim().min(1).max(100),
  policyId: z.string(),
  bankId: z.string().optional().describe('default: the only bank, or the one named local (GET /v1/plan-banks lists them)'),
  resourceIds: z.array(z.string()).max(1000),
  enabled: z.boolean().optional(),
  rpoSeconds: z.number().int().min(60).nullable().optional().describe('recovery point objective; null or absent: from the policy\'s schedule'),
});
const Plan = z.object({
  id: z.string(), tenantId: z.string(), name: z.string(), policyId: z.string(), bankId: z.string(), enabled: z.boolean(), rpoSeconds: z.number().nullable(),
  resourceIds: z.array(z.string()), createdAt: z.iso.datetime(),
});
const Status = z.object({
  rpoSeconds: z.number().nullable().describe('the plan\'s, or what its schedule implies (1.5 times the longest gap between ticks, plus jitter)'),
  rpoFromSchedule: z.boolean(), outOfRpo: z.boolean(),
  resources: z.array(z.object({ resourceId: z.string(), lastGoodAt: z.iso.datetime().nullable(), outOfRpo: z.boolean() })),
  lastFailure: z.object({ operationId: z.string(), at: z.iso.datetime(), error: z.string() }).nullable(),
});
const statusView = (s: PlanStatus) => ({
  ...s, resources: s.resources.map((r) => ({ ...r, lastGoodAt: r.lastGoodAt?.toISOString() ?? null })),
  lastFailure: s.lastFailure && { ...s.lastFailure, at: s.lastFailure.at.toISOString() },
});
const view = (p: PlanRow) => ({ ...p, createdAt: p.createdAt.toISOString() });

const PlanBank = z.object({
  id: z.string(), name: z.string(), siteName: z.string().describe('the site the bank is at'),
  default: z.boolean().describe('the bank a plan gets when it names none'),
});

/** The bank to use when none is named: the only one, or the embedded server's local one. */
export async function defaultBank(db: Kysely<Database>): Promise<string> {
  const banks = await listBankChoices(db);
  const bank = defaultBankOf(banks);
  if (!bank) throw new HttpProblem(400, `there are ${banks.length} banks and none is named local: say which one with bankId`);
  return bank.id;
}

export function planRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    async function planFor(request: FastifyRequest, id: string, role: TenantRole): Promise<PlanRow> {
      const p = await findPlan(db, id);
      if (!p) throw new HttpProblem(404, `there is no plan ${id}`);
      requireTenantRole(request, p.tenantId, role, `plan ${id}`);
      return p;
    }

    // Any signed-in user may see which banks a plan may use (every bank, today), by name and site only:
    // where a bank is and how it opens stay the operators' (GET /v1/banks).
    app.get('/plan-banks', {
      schema: {
        summary: 'The banks a plan may back up into, to choose one (anyone signed in): id, name, site, and which is the default; never a location',
        response: { 200: z.object({ items: z.array(PlanBank) }) },
      },
    }, async () => {
      const banks = await listBankChoices(db);
      const chosen = defaultBankOf(banks);
      return { items: banks.map((b) => ({ ...b, default: b === chosen })) };
    });

    app.post('/plans', {
      schema: { summary: 'Create a plan', body: Fields.extend({ tenantId: z.string().optional() }), response: { 201: Plan } },
    }, async (request, reply) => {
      const { tenantId, bankId, ...fields } = request.body;
      const tenant = targetTenant(request, tenantId, 'member');
      if (!tenant) throw new HttpProblem(400, 'a plan belongs to a tenant: say which one with tenantId');
      return reply.code(201).send(view(await createPlan(db, tenant, { ...fields, bankId: bankId ?? await defaultBank(db) })));
    });

    app.get('/plans', {
      schema: {
        summary: 'The plans you may see; outOfRpo=true: only those whose resources lack a recent enough checkpoint',
        querystring: pageQuery.extend({ outOfRpo: z.enum(['true', 'false']).optional() }), response: { 200: pageSchema(Plan) },
      },
    }, async (request) => {
      const { limit, after, outOfRpo } = request.query;
      const tenants = visibleTenants(request);
      const page = pageOf(await listPlans(db, { limit, ...(after ? { after } : {}), ...(tenants ? { tenants } : {}) }), limit, (p) => p);
      if (outOfRpo === undefined) return { ...page, items: page.items.map(view) };
      const kept = [];
      for (const p of page.items) if ((await statusOf(p)).outOfRpo === (outOfRpo === 'true')) kept.push(view(p));
      return { ...page, items: kept };
    });

    async function statusOf(plan: PlanRow): Promise<PlanStatus> {
      return planStatus(db, plan, (await findPolicy(db, plan.policyId))!);
    }

    app.get('/plans/:id/status', {
      schema: { summary: 'Whether the plan keeps its RPO: each resource\'s last good checkpoint, and the last failure', params: z.object({ id: z.string() }), response: { 200: Status } },
    }, async (request) => statusView(await statusOf(await planFor(request, request.params.id, 'viewer'))));

    const Id = z.object({ id: z.string() });
    app.get('/plans/:id', { schema: { summary: 'One plan', params: Id, response: { 200: Plan } } }, async (request) => view(await planFor(request, request.params.id, 'viewer')));

    app.patch('/plans/:id', { schema: { summary: 'Change a plan', params: Id, body: Fields.partial(), response: { 200: Plan } } }, async (request) => {
      const p = await planFor(request, request.params.id, 'member');
      return view(await updatePlan(db, p, request.body));
    });

    app.delete('/plans/:id', {
      schema: { summary: 'Delete a plan (its checkpoints stay, until deleted or expired)', params: Id, response: { 204: z.null() } },
    }, async (request, reply) => {
      await deletePlan(db, (await planFor(request, request.params.id, 'member')).id);
      return reply.code(204).send(null);
    });
    return Promise.resolve();
  };
}
