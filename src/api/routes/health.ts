/** /healthz: the process answers. /readyz: it can serve, its catalog answers. */
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { sendProblem } from '../problem.ts';

export function healthRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const ok = z.object({ status: z.literal('ok') });
    app.get('/healthz', { schema: { hide: true, response: { 200: ok } } }, () => ({ status: 'ok' as const }));
    app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
      try {
        await sql`select 1`.execute(catalog.db);
        return { status: 'ok' };
      } catch (err) {
        request.log.warn(err);
        return sendProblem(reply, 503, `the catalog (${catalog.description}) does not answer`);
      }
    });
    return Promise.resolve();
  };
}
