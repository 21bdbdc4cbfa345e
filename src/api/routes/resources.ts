/**
 * What can be protected: the resource types with their schemas, the hosts operators register, and the
 * resources discovery finds there, each owned by a tenant and seen only by its members.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HOST_KINDS, type PluginCatalog } from '../../core/plugin.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import type { Operations } from '../../jobs/operations-service.ts';
import { addHost, assignResource, findHost, findResource, listHosts, listResources, recordDiscovery, recordDiscoveryError, setHostLimit, type HostRow, type ResourceRow } from '../../catalog/resources.ts';
import { runningOnHosts } from '../../catalog/bank-health.ts';
import { MaxOperations } from './banks.ts';
import { iso, pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { requireOperator, requireTenantRole, visibleTenants } from '../scope.ts';

const Kind = z.enum(HOST_KINDS);
const Host = z.object({
  id: z.string(), name: z.string(), siteId: z.string(), kind: Kind, location: z.string(), tenantId: z.string().nullable(),
  createdAt: z.iso.datetime(), discoveredAt: z.iso.datetime().nullable(), discoveryError: z.string().nullable(),
  maxOperations: z.number().int().nullable().describe('operations running on the host at once, across the cluster; null: no limit'),
  agentSeenAt: z.iso.datetime().nullable().describe('when an agent (cairn worker --host) last said it serves the host; null: the servers and plain workers run its operations'),
});
const HostListed = Host.extend({ runningOperations: z.number().int().describe('operations running on the host now') });
const ResourceOut = z.object({
  id: z.string(), hostId: z.string(), tenantId: z.string().nullable(), type: z.string(), externalId: z.string(), name: z.string(), parentId: z.string().nullable(),
  sizeBytes: z.number().nullable(), details: z.record(z.string(), z.unknown()), discoveredAt: z.iso.datetime(), missingSince: z.iso.datetime().nullable(),
});
const hostView = (h: HostRow) => ({ ...h, createdAt: h.createdAt.toISOString(), discoveredAt: iso(h.discoveredAt), agentSeenAt: iso(h.agentSeenAt) });
const resourceView = (r: ResourceRow) => ({ ...r, discoveredAt: r.discoveredAt.toISOString(), missingSince: iso(r.missingSince) });

export function resourceRoutes(catalog: Catalog, plugins: PluginCatalog, operations: Operations | undefined): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;
    app.get('/protectables', {
      schema: {
        summary: 'The resource types Cairn protects, with the JSON schemas of their backup options and restore targets',
        response: { 200: z.object({ items: z.array(z.object({ type: z.string(), backupOptionsSchema: z.record(z.string(), z.unknown()), restoreTargetSchema: z.record(z.string(), z.unknown()) })) }) },
      },
    }, () => ({ items: plugins.protectables }));

    app.post('/hosts', {
      schema: {
        summary: 'Register a host (operators): a libvirt URI, a directory of volumes, a qemu-storage-daemon QMP socket, or a directory of file roots',
        body: z.object({
          name: z.string().trim().min(1).max(100), siteId: z.string(), kind: Kind, location: z.string().min(1).max(1000),
          tenantId: z.string().optional().describe('the tenant that owns what is found there'),
        }),
        response: { 201: Host },
      },
    }, async (request, reply) => {
      requireOperator(request);
      const { name, siteId, kind, location, tenantId } = request.body;
      return reply.code(201).send(hostView(await addHost(db, { name, siteId, kind, location, tenantId: tenantId ?? null })));
    });

    app.get('/hosts', { schema: { summary: 'Hosts (operators)', response: { 200: z.object({ items: z.array(HostListed) }) } } }, async (request) => {
      requireOperator(request);
      const [hosts, running] = await Promise.all([listHosts(db), runningOnHosts(db)]);
      return { items: hosts.map((h) => ({ ...hostView(h), runningOperations: running.get(h.id) ?? 0 })) };
    });

    app.post('/hosts/:id/discover', {
      schema: {
        summary: 'Find the resources of a host now (operators)',
        params: z.object({ id: z.string() }),
        response: { 200: z.object({ found: z.number(), added: z.number(), missing: z.number() }) },
      },
    }, async (request) => {
      requireOperator(request);
      const host = await findHost(db, request.params.id);
      if (!host) throw new HttpProblem(404, `there is no host ${request.params.id}`);
      let found;
      try {
        found = await plugins.discover(host.kind, host.location);
      } catch (err) {
        const why = (err as Error).message;
        await recordDiscoveryError(db, host.id, why);
        // The host's location failed, not the request: a gateway's error, with the reason.
        throw new HttpProblem(502, `discovery on host ${host.name} (${host.kind} ${host.location}) failed: ${why}`);
      }
      return recordDiscovery(db, host, found);
    });

    app.get('/resources', {
      schema: {
        summary: 'The resources you may see (operators: all), servers and their volumes',
        querystring: pageQuery.extend({ type: z.string().optional(), hostId: z.string().optional() }),
        response: { 200: pageSchema(ResourceOut) },
      },
    }, async (request) => {
      const { limit, after, type, hostId } = request.query;
      const tenants = visibleTenants(request);
      const rows = await listResources(db, { limit, ...(after ? { after } : {}), ...(type ? { type } : {}), ...(hostId ? { hostId } : {}), ...(tenants ? { tenants } : {}) });
      return pageOf(rows, limit, resourceView);
    });

    app.get('/resources/:id', { schema: { summary: 'One resource', params: z.object({ id: z.string() }), response: { 200: ResourceOut } } }, async (request) => {
      const r = await findResource(db, request.params.id);
      if (!r) throw new HttpProblem(404, `there is no resource ${request.params.id}`);
      requireTenantRole(request, r.tenantId, 'viewer', `resource ${request.params.id}`);
      return resourceView(r);
    });

    app.patch('/hosts/:id', {
      schema: {
        summary: 'Set how many operations may run on a host at once, across the cluster, or give a host whose agents are gone back to the servers (operators)',
        params: z.object({ id: z.string() }),
        body: z.object({
          maxOperations: MaxOperations.optional(),
          agent: z.literal(false).optional().describe('false: the host no longer has agents; its waiting operations go to the servers and plain workers (refused while an agent was heard from in the last 90 s)'),
        }).refine((b) => b.maxOperations !== undefined || b.agent !== undefined, 'give maxOperations (1 to 256, or null) or agent: false'),
        response: { 200: Host },
      },
    }, async (request) => {
      requireOperator(request);
      const { maxOperations, agent } = request.body;
      if (!(await findHost(db, request.params.id))) throw new HttpProblem(404, `there is no host ${request.params.id}`);
      if (agent === false) {
        if (!operations) throw new HttpProblem(503, 'this node runs no job queue');
        await operations.releaseAgent(request.params.id);
      }
      if (maxOperations !== undefined) await setHostLimit(db, request.params.id, maxOperations);
      return hostView((await findHost(db, request.params.id))!);
    });

    app.patch('/resources/:id', {
      schema: { summary: 'Give a resource (and its volumes) to a tenant (operators)', params: z.object({ id: z.string() }), body: z.object({ tenantId: z.string().nullable() }), response: { 200: ResourceOut } },
    }, async (request) => {
      requireOperator(request);
      if (!(await findResource(db, request.params.id))) throw new HttpProblem(404, `there is no resource ${request.params.id}`);
      await assignResource(db, request.params.id, request.body.tenantId);
      return resourceView((await findResource(db, request.params.id))!);
    });
    return Promise.resolve();
  };
}
