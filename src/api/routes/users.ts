/** User accounts (operators). Passwords are write-only: no response ever holds one or its hash. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { createUser, listUsers } from '../../catalog/tenants.ts';
import { pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { requireOperator } from '../scope.ts';

const User = z.object({ id: z.string(), username: z.string(), operator: z.boolean(), disabled: z.boolean(), createdAt: z.iso.datetime() });
const view = (u: { id: string; username: string; operator: boolean; disabled: boolean; createdAt: Date }) =>
  ({ id: u.id, username: u.username, operator: u.operator, disabled: u.disabled, createdAt: u.createdAt.toISOString() });

export function userRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    app.post('/users', {
      schema: {
        summary: 'Create a user account (operators)',
        body: z.object({
          username: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a username is letters, digits, ".", "_", "@" and "-", starting with a letter or digit'),
          password: z.string().min(12, 'a password has at least 12 characters').max(1000),
          operator: z.boolean().default(false),
        }),
        response: { 201: User },
      },
    }, async (request, reply) => {
      requireOperator(request);
      return reply.code(201).send(view(await createUser(catalog.db, request.body)));
    });

    app.get('/users', {
      schema: { summary: 'User accounts (operators)', querystring: pageQuery, response: { 200: pageSchema(User) } },
    }, async (request) => {
      requireOperator(request);
      const { limit, after } = request.query;
      return pageOf(await listUsers(catalog.db, { limit, ...(after ? { after } : {}) }), limit, view);
    });
    return Promise.resolve();
  };
}
