/**
 * Bearer tokens on every /v1 call but the sign-in: the one place that decides who a request acts as.
 * Handlers read `request.principal`; a missing or bad token is a 401 before any handler runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf, type Principal } from '../catalog/access.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { HttpProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Routes that need no token: the sign-in, the API's description, health. */
function isPublic(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? '';
  return !url.startsWith('/v1/') || url === '/v1/openapi.json' || url.startsWith('/v1/docs') || (url === '/v1/tokens' && request.method === 'POST');
}

export function registerAuth(app: FastifyInstance, catalog: Catalog): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (isPublic(request)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new HttpProblem(401, 'this call needs a bearer token: get one with POST /v1/tokens {username, password} and send it as "Authorization: Bearer <token>"');
    const principal = await principalOf(catalog.db, match[1]!);
    if (!principal) throw new HttpProblem(401, 'the bearer token is unknown, expired or revoked: sign in again with POST /v1/tokens');
    request.principal = principal;
  });
}

/** The principal of an authenticated request (the hook guarantees one on every non-public route). */
export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpProblem(401, 'not signed in');
  return request.principal;
}
