/** Operations: what runs and ran, with progress and log; cancel. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { FINISHED, findOperation, listOperations, operationLog, requestCancel, type OperationRow } from '../../catalog/operations.ts';
import { iso, pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { requireTenantRole, visibleTenants } from '../scope.ts';

const Type = z.enum(['backup', 'restore', 'delete', 'verify', 'gc']);
const State = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const Operation = z.object({
  id: z.string(), tenantId: z.string().nullable(), type: Type, state: State, request: z.record(z.string(), z.unknown()),
  progress: z.record(z.string(), z.unknown()).nullable().describe('phase, doneBytes, totalBytes, rate (bytes/s), etaSeconds, step'),
  result: z.record(z.string(), z.unknown()).nullable(), error: z.string().nullable(), attempts: z.number(), cancelRequested: z.boolean(),
  scheduled: z.boolean().describe('started by a schedule (or by expiry), not by someone'),
  createdAt: z.iso.datetime(), startedAt: z.iso.datetime().nullable(), finishedAt: z.iso.datetime().nullable(),
});
const Line = z.object({ at: z.iso.datetime(), level: z.enum(['info', 'warning', 'error']), message: z.string() });

export function operationView(o: OperationRow) {
  const { createdBy: _by, ...rest } = o;
  return { ...rest, createdAt: o.createdAt.toISOString(), startedAt: iso(o.startedAt), finishedAt: iso(o.finishedAt) };
}

export function operationRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    const find = async (request: Parameters<typeof requireTenantRole>[0], id: string, role: 'viewer' | 'member'): Promise<OperationRow> => {
      const op = await findOperation(db, id);
      if (!op) throw new HttpProblem(404, `there is no operation ${id}`);
      requireTenantRole(request, op.tenantId, role, `operation ${id}`);
      return op;
    };

    app.get('/operations', {
      schema: {
        summary: 'Operations you may see, oldest first (order=newest: newest first, `after` paging toward older ones)',
        querystring: pageQuery.extend({
          type: Type.optional(), state: State.optional(), order: z.enum(['oldest', 'newest']).default('oldest'),
          tenantId: z.string().optional().describe('only this tenant\'s operations'),
        }),
        response: { 200: pageSchema(Operation) },
      },
    }, async (request) => {
      const { limit, after, type, state, order, tenantId } = request.query;
      if (tenantId !== undefined) requireTenantRole(request, tenantId, 'viewer', `tenant ${tenantId}`);
      const tenants = tenantId !== undefined ? [tenantId] : visibleTenants(request);
      const filter = { limit, newestFirst: order === 'newest', ...(after ? { after } : {}), ...(tenants ? { tenants } : {}), ...(type ? { type } : {}), ...(state ? { state } : {}) };
      return pageOf(await listOperations(db, filter), limit, operationView);
    });

    app.get('/restores', {
      schema: { summary: 'Restores you may see, oldest first (the operations of type restore)', querystring: pageQuery.extend({ state: State.optional() }), response: { 200: pageSchema(Operation) } },
    }, async (request) => {
      const { limit, after, state } = request.query;
      const tenants = visibleTenants(request);
      return pageOf(await listOperations(db, { limit, type: 'restore', ...(after ? { after } : {}), ...(tenants ? { tenants } : {}), ...(state ? { state } : {}) }), limit, operationView);
    });

    const Id = z.object({ id: z.string() });
    app.get('/operations/:id', {
      schema: { summary: 'One operation, with its log', params: Id, response: { 200: Operation.extend({ log: z.array(Line) }) } },
    }, async (request) => {
      const op = await find(request, request.params.id, 'viewer');
      const log = (await operationLog(db, op.id)).map((l) => ({ at: l.at.toISOString(), level: l.level, message: l.message }));
      return { ...operationView(op), log };
    });

    app.post('/operations/:id/cancel', {
      schema: { summary: 'Cancel an operation: at once if queued, else at its next step', params: Id, response: { 202: Operation } },
    }, async (request, reply) => {
      const op = await find(request, request.params.id, 'member');
      if (FINISHED.includes(op.state)) throw new HttpProblem(409, `operation ${op.id} has ended (${op.state})`);
      await requestCancel(db, op.id);
      return reply.code(202).send(operationView((await findOperation(db, op.id))!));
    });
    return Promise.resolve();
  };
}
