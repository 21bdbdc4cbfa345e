/** Keeps the queue's schedules in line with plans and policies as the API changes them. */
import type { FastifyInstance } from 'fastify';
import type { Operations } from '../jobs/operations-service.ts';

/**
 * After a call that changed something (not a GET, and it succeeded), the schedules follow at once;
 * every node's sweep brings them in line in any case, so a failure here is only logged.
 */
export function followSchedules(app: FastifyInstance, operations: Operations | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && reply.statusCode < 300) await operations?.syncSchedules().catch((err: unknown) => request.log.warn(err));
  });
}
