/** Sign-in and tokens: POST /v1/tokens gives a bearer token for a username and password; GET /v1/me says who it is; DELETE revokes. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DEFAULT_TOKEN_TTL_SECONDS, issueToken, revokeToken, signIn } from '../../catalog/access.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import { principal } from '../auth.ts';
import { HttpProblem } from '../problem.ts';

const Role = z.enum(['admin', 'member', 'viewer']);

export function tokenRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    app.post('/tokens', {
      schema: {
        summary: 'Sign in: a bearer token for a username and password',
        security: [],
        body: z.object({
          username: z.string().min(1).max(200),
          password: z.string().min(1).max(1000),
          name: z.string().max(200).optional().describe('what the token is for, shown in listings'),
          ttlSeconds: z.number().int().min(60).max(365 * 86400).optional().describe(`lifetime (default ${DEFAULT_TOKEN_TTL_SECONDS} s)`),
        }),
        response: { 201: z.object({ id: z.string(), token: z.string(), expiresAt: z.iso.datetime() }) },
      },
    }, async (request, reply) => {
      const { username, password, name, ttlSeconds } = request.body;
      const user = await signIn(catalog.db, username, password);
      if (!user) throw new HttpProblem(401, 'wrong username or password');
      const t = await issueToken(catalog.db, user.id, { name: name ?? 'sign-in', ...(ttlSeconds ? { ttlSeconds } : {}) });
      return reply.code(201).send({ id: t.id, token: t.token, expiresAt: t.expiresAt.toISOString() });
    });

    app.get('/me', {
      schema: {
        summary: 'Who the token acts as',
        response: { 200: z.object({ userId: z.string(), username: z.string(), operator: z.boolean(), tenants: z.array(z.object({ tenantId: z.string(), role: Role })) }) },
      },
    }, (request) => {
      const p = principal(request);
      return { userId: p.userId, username: p.username, operator: p.operator, tenants: p.tenants };
    });

    app.delete('/tokens/:id', {
      schema: { summary: 'Revoke one of your tokens', params: z.object({ id: z.string() }), response: { 204: z.null() } },
    }, async (request, reply) => {
      const p = principal(request);
      if (!(await revokeToken(catalog.db, p.userId, request.params.id))) throw new HttpProblem(404, `you have no active token ${request.params.id}`);
      return reply.code(204).send(null);
    });
    return Promise.resolve();
  };
}
