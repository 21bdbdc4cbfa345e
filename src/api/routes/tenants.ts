/**
 * Tenants and their members. Operators create tenants; a tenant's admins manage its members, and add
 * an account by its username, since only operators may list the accounts (and so know their ids).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { createTenant, findTenant, findUser, findUserByName, listMembers, listTenants, removeMember, setMember } from '../../catalog/tenants.ts';
import { pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { requireOperator, requireTenantRole, visibleTenants } from '../scope.ts';

const Tenant = z.object({ id: z.string(), name: z.string(), createdAt: z.iso.datetime() });
const Role = z.enum(['admin', 'member', 'viewer']);
const Member = z.object({ userId: z.string(), username: z.string(), role: Role });
const view = (t: { id: string; name: string; createdAt: Date }) => ({ id: t.id, name: t.name, createdAt: t.createdAt.toISOString() });

export function tenantRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    app.post('/tenants', {
      schema: {
        summary: 'Create a tenant (operators)',
        body: z.object({ name: z.string().trim().min(1).max(100).regex(/^[^\s/][^/]*$/, 'a tenant name has no slashes and does not start with a space') }),
        response: { 201: Tenant },
      },
    }, async (request, reply) => {
      requireOperator(request);
      return reply.code(201).send(view(await createTenant(db, request.body.name)));
    });

    app.get('/tenants', {
      schema: { summary: 'The tenants you may see (operators: all)', querystring: pageQuery, response: { 200: pageSchema(Tenant) } },
    }, async (request) => {
      const { limit, after } = request.query;
      return pageOf(await listTenants(db, { limit, ...(after ? { after } : {}) }, visibleTenants(request)), limit, view);
    });

    app.get('/tenants/:id', {
      schema: { summary: 'One tenant', params: z.object({ id: z.string() }), response: { 200: Tenant } },
    }, async (request) => {
      requireTenantRole(request, request.params.id, 'viewer', `tenant ${request.params.id}`);
      const t = await findTenant(db, request.params.id);
      if (!t) throw new HttpProblem(404, `there is no tenant ${request.params.id}`);
      return view(t);
    });

    app.get('/tenants/:id/members', {
      schema: { summary: 'Who belongs to a tenant, with their roles', params: z.object({ id: z.string() }), response: { 200: z.object({ items: z.array(Member) }) } },
    }, async (request) => {
      requireTenantRole(request, request.params.id, 'viewer', `tenant ${request.params.id}`);
      if (!(await findTenant(db, request.params.id))) throw new HttpProblem(404, `there is no tenant ${request.params.id}`);
      return { items: await listMembers(db, request.params.id) };
    });

    app.put('/tenants/:id/members/:userId', {
      schema: {
        summary: 'Give a user a role in a tenant (tenant admins, operators)',
        params: z.object({ id: z.string(), userId: z.string() }), body: z.object({ role: Role }), response: { 200: Member },
      },
    }, async (request) => {
      const { id, userId } = request.params;
      requireTenantRole(request, id, 'admin', `tenant ${id}`);
      if (!(await findTenant(db, id))) throw new HttpProblem(404, `there is no tenant ${id}`);
      const user = await findUser(db, userId);
      if (!user) throw new HttpProblem(404, `there is no user ${userId}`);
      await setMember(db, id, userId, request.body.role);
      return { userId, username: user.username, role: request.body.role };
    });

    app.post('/tenants/:id/members', {
      schema: {
        summary: 'Give the user with this username a role in a tenant (tenant admins, operators)',
        params: z.object({ id: z.string() }),
        body: z.object({
          username: z.string().trim().min(1).max(100).describe('the account\'s username, as it signs in'),
          role: Role.describe('viewer reads; member also acts; admin also manages members'),
        }),
        response: { 200: Member },
      },
    }, async (request) => {
      const { id } = request.params;
      requireTenantRole(request, id, 'admin', `tenant ${id}`);
      if (!(await findTenant(db, id))) throw new HttpProblem(404, `there is no tenant ${id}`);
      const user = await findUserByName(db, request.body.username);
      if (!user) throw new HttpProblem(404, `there is no user named ${request.body.username}: check the spelling, or ask an operator to create the account`);
      await setMember(db, id, user.id, request.body.role);
      return { userId: user.id, username: user.username, role: request.body.role };
    });

    app.delete('/tenants/:id/members/:userId', {
      schema: { summary: 'Take a user out of a tenant (tenant admins, operators)', params: z.object({ id: z.string(), userId: z.string() }), response: { 204: z.null() } },
    }, async (request, reply) => {
      const { id, userId } = request.params;
      requireTenantRole(request, id, 'admin', `tenant ${id}`);
      if (!(await removeMember(db, id, userId))) throw new HttpProblem(404, `user ${userId} is not a member of tenant ${id}`);
      return reply.code(204).send(null);
    });
    return Promise.resolve();
  };
}
