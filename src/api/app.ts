/**
 * The HTTP API: Fastify with zod schemas that validate requests and responses, an OpenAPI 3.1
 * description at /v1/openapi.json and a browsable page at /v1/docs, errors as problem documents.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Catalog } from '../catalog/catalog.ts';
import type { MasterKey } from '../catalog/secrets.ts';
import type { BankService } from '../core/bank-service.ts';
import type { PluginCatalog } from '../core/plugin.ts';
import type { Operations } from '../jobs/operations-service.ts';
import { checkpointRoutes } from './routes/checkpoints.ts';
import { operationRoutes } from './routes/operations.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { planRoutes } from './routes/plans.ts';
import { quotaUsageRoutes } from './routes/quotas-usage.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { policyRoutes } from './routes/policies.ts';
import { previewRoutes } from './routes/previews.ts';
import { resourceRoutes } from './routes/resources.ts';
import { bankRoutes } from './routes/banks.ts';
import { registerAuth } from './auth.ts';
import { registerConsole } from './console.ts';
import { errorHandler, sendProblem } from './problem.ts';
import { healthRoutes } from './routes/health.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';

export interface AppOptions {
  catalog: Catalog;
  masterKey: MasterKey;
  banks: BankService;
  plugins: PluginCatalog;
  /** The job queue operations go to; absent, calls that start one answer 503. */
  operations?: Operations;
  version: string;
  /** Fastify's logger: false in tests, a pino config in the server. */
  logger?: boolean | Record<string, unknown>;
  /** The built web console (web/dist), served at `/`; absent, the server has no console. */
  consoleDir?: string;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  const web = options.consoleDir === undefined ? undefined : await registerConsole(app, options.consoleDir);
  app.setNotFoundHandler((request, reply) => {
    if (web?.fallback(request, reply)) return reply;
    const path = request.url.split('?')[0];
    if (web && !web.built && path === '/') return sendProblem(reply, 404, 'the web console is not built on this server: run npm run build (scripts/setup.sh does), then restart cairn server', request.url);
    return sendProblem(reply, 404, `there is no ${request.method} ${path}; the API is described at /v1/openapi.json`, request.url);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Cairn API', version: options.version, description: 'Backup and recovery as a service: resources, policies, plans, checkpoints, restores.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/v1/docs' });
  registerAuth(app, options.catalog);
  await app.register(healthRoutes(options.catalog));
  await app.register(metricsRoutes(options.catalog));
  await app.register(tokenRoutes(options.catalog), { prefix: '/v1' });
  await app.register(tenantRoutes(options.catalog), { prefix: '/v1' });
  await app.register(userRoutes(options.catalog), { prefix: '/v1' });
  await app.register(bankRoutes(options.catalog, options.masterKey, options.banks, options.operations), { prefix: '/v1' });
  await app.register(resourceRoutes(options.catalog, options.plugins, options.operations), { prefix: '/v1' });
  await app.register(policyRoutes(options.catalog), { prefix: '/v1' });
  await app.register(previewRoutes(options.catalog), { prefix: '/v1' });
  await app.register(planRoutes(options.catalog), { prefix: '/v1' });
  await app.register(checkpointRoutes(options.catalog, options.plugins, options.operations), { prefix: '/v1' });
  await app.register(operationRoutes(options.catalog), { prefix: '/v1' });
  await app.register(quotaUsageRoutes(options.catalog), { prefix: '/v1' });
  await app.register(webhookRoutes(options.catalog, options.masterKey), { prefix: '/v1' });
  app.get('/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return app;
}
