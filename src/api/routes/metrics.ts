/**
 * /metrics in Prometheus's text format: operations by type and state, their durations, checkpoints by
 * status with the bytes they stored, damaged checkpoints, protected resources, and this process's own
 * figures. Read from the catalog at each scrape, so every node of a cluster answers alike.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Catalog } from '../../catalog/catalog.ts';
import { serviceFigures } from '../../catalog/metrics.ts';

export function metricsRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cairn_process_' });
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const operations = g('cairn_operations', 'Operations by type and state', ['type', 'state']);
  const durationSum = g('cairn_operation_duration_seconds_sum', 'Seconds the succeeded operations ran, by type', ['type']);
  const durationCount = g('cairn_operation_duration_seconds_count', 'Succeeded operations, by type', ['type']);
  const checkpoints = g('cairn_checkpoints', 'Checkpoints by status', ['status']);
  const stored = g('cairn_stored_bytes', 'Bytes the checkpoints added to their banks, by status', ['status']);
  const damaged = g('cairn_checkpoints_damaged', 'Checkpoints the last verification found damaged');
  const unverified = g('cairn_checkpoints_unverified', 'Available checkpoints no verification has read yet');
  const protectedResources = g('cairn_protected_resources', 'Resources in at least one plan');
  const outOfRpo = g('cairn_plans_out_of_rpo', 'Enabled plans with a resource whose last good checkpoint is older than the plan\'s RPO');

  return (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const f = await serviceFigures(catalog.db);
      for (const m of [operations, durationSum, durationCount, checkpoints, stored]) m.reset();
      for (const o of f.operations) operations.set({ type: o.type, state: o.state }, o.count);
      for (const d of f.durations) {
        durationSum.set({ type: d.type }, d.seconds);
        durationCount.set({ type: d.type }, d.count);
      }
      for (const c of f.checkpoints) {
        checkpoints.set({ status: c.status }, c.count);
        stored.set({ status: c.status }, c.storedBytes);
      }
      damaged.set(f.damaged);
      unverified.set(f.unverified);
      outOfRpo.set(f.plansOutOfRpo);
      protectedResources.set(f.protectedResources);
      return reply.type(registry.contentType).send(await registry.metrics());
    });
    return Promise.resolve();
  };
}
