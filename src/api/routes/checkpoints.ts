/**
 * Checkpoints and what acts on them: manual backups, restores, verifications and deletes. Each is an
 * operation a worker runs; the call answers 202 with the operation, to be followed at /v1/operations/{id}.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Catalog } from '../../catalog/catalog.ts';
import { findCheckpoint, listCheckpoints, setPinned, type CheckpointRow } from '../../catalog/checkpoints.ts';
import { findPlan } from '../../catalog/plans.ts';
import { checkBackupQuota } from '../../catalog/quotas.ts';
import { findHost, findResource, type HostRow } from '../../catalog/resources.ts';
import type { TenantRole } from '../../catalog/schema.ts';
import type { PluginCatalog, ResourceType } from '../../core/plugin.ts';
import type { Operations } from '../../jobs/operations-service.ts';
import type { BackupRequest, RestoreRequest } from '../../jobs/runner.ts';
import { agentHostOf } from '../../catalog/placement.ts';
import { bankAtSite, restoreHosts } from '../../catalog/restore-hosts.ts';
import { iso, pageOf, pageQuery, pageSchema } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { principal } from '../auth.ts';
import { requireTenantRole, visibleTenants } from '../scope.ts';
import { Operation, operationView } from './operations.ts';
import { defaultBank } from './plans.ts';

const Status = z.enum(['protecting', 'available', 'error', 'deleting', 'missing']);
const Checkpoint = z.object({
  id: z.string(), tenantId: z.string().nullable(), bankId: z.string(), bankRef: z.string().nullable().describe('its id in the bank (what the CLI names)'),
  resourceId: z.string().nullable(), planId: z.string().nullable(), operationId: z.string().nullable(), name: z.string(), type: z.string(), parentRef: z.string().nullable(),
  status: Status, sourceBytes: z.number().nullable(), writtenBytes: z.number().nullable(), storedBytes: z.number().nullable(), error: z.string().nullable(),
  createdAt: z.iso.datetime(), completedAt: z.iso.datetime().nullable(), verifiedAt: z.iso.datetime().nullable(), damaged: z.boolean(),
  pinned: z.boolean().describe('never expired by retention'),
});
const view = (c: CheckpointRow) => ({ ...c, createdAt: c.createdAt.toISOString(), completedAt: iso(c.completedAt), verifiedAt: iso(c.verifiedAt) });

const RestoreTarget = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('new'), name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a plain name: letters, digits, dot, dash, underscore').describe('the new volume\'s file name, or the new server\'s name'), hostId: z.string().optional().describe('where (default: the original\'s host); GET /v1/checkpoints/{id}/restore-hosts lists the hosts at every site') }),
  z.object({ mode: z.literal('in-place') }),
  z.object({ mode: z.literal('recreate').describe('a server again as it was, after its domain was undefined') }),
]);

export function checkpointRoutes(catalog: Catalog, plugins: PluginCatalog, operations: Operations | undefined): FastifyPluginAsyncZod {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const restoreSchemas = new Map(plugins.protectables.map((p) => [p.type, ajv.compile(p.restoreTargetSchema)]));
  return (app) => {
    const db = catalog.db;
    const submitter = (): Operations => {
      if (!operations) throw new HttpProblem(503, 'this node runs no job queue');
      return operations;
    };
    async function checkpointFor(request: FastifyRequest, id: string, role: TenantRole): Promise<CheckpointRow> {
      const c = await findCheckpoint(db, id);
      if (!c) throw new HttpProblem(404, `there is no checkpoint ${id}`);
      requireTenantRole(request, c.tenantId, role, `checkpoint ${id}`);
      return c;
    }

    /** An operation runs on one node: resources of a host that agents serve cannot share it with others. */
    async function checkOneNode(resourceIds: string[]): Promise<void> {
      const agents = await agentHostOf(db, resourceIds);
      const nodes = new Set(resourceIds.map((id) => agents.get(id)?.name ?? ''));
      if (nodes.size <= 1) return;
      const named = [...nodes].map((n) => (n ? `the agents of ${n}` : 'the servers')).join(', ');
      throw new HttpProblem(400, `these resources are served by different nodes (${named}): back up each host's resources apart, with resourceIds (a plan's scheduled backups are split by host on their own)`);
    }

    app.post('/checkpoints', {
      schema: {
        summary: 'Back up now: a plan\'s resources, or resources named (into the bank named, or the default one)',
        body: z.object({
          planId: z.string().optional(), resourceIds: z.array(z.string()).min(1).max(1000).optional(), bankId: z.string().optional(),
          full: z.boolean().default(false).describe('a full backup even where an incremental one could be made'),
        }).refine((b) => (b.planId === undefined) !== (b.resourceIds === undefined), 'give either planId or resourceIds'),
        response: { 202: Operation },
      },
    }, async (request, reply) => {
      const { planId, resourceIds, bankId, full } = request.body;
      let tenantId: string | null, req: BackupRequest;
      if (planId) {
        const plan = await findPlan(db, planId);
        if (!plan) throw new HttpProblem(404, `there is no plan ${planId}`);
        requireTenantRole(request, plan.tenantId, 'member', `plan ${planId}`);
        if (!plan.resourceIds.length) throw new HttpProblem(400, `plan ${plan.name} protects no resources yet: add some with PATCH /v1/plans/${plan.id}`);
        const policy = await db.selectFrom('policies').select('options').where('id', '=', plan.policyId).executeTakeFirstOrThrow();
        tenantId = plan.tenantId;
        req = { resourceIds: plan.resourceIds, bankId: bankId ?? plan.bankId, planId: plan.id, full, options: policy.options };
      } else {
        const owners = new Set<string | null>();
        for (const id of resourceIds!) {
          const r = await findResource(db, id);
          if (!r) throw new HttpProblem(404, `there is no resource ${id}`);
          requireTenantRole(request, r.tenantId, 'member', `resource ${id}`);
          owners.add(r.tenantId);
        }
        if (owners.size > 1) throw new HttpProblem(400, 'the resources belong to different tenants: back up each tenant\'s apart');
        tenantId = [...owners][0] ?? null;
        req = { resourceIds: [...new Set(resourceIds)], bankId: bankId ?? await defaultBank(db), planId: null, full, options: {} };
      }
      if (!(await db.selectFrom('banks').select('id').where('id', '=', req.bankId).executeTakeFirst())) throw new HttpProblem(400, `there is no bank ${req.bankId}`);
      await checkOneNode(req.resourceIds);
      if (tenantId) await checkBackupQuota(db, tenantId, req.resourceIds.length);
      const op = await submitter().submit({ tenantId, type: 'backup', request: { ...req }, createdBy: principal(request).userId });
      return reply.code(202).send(operationView(op));
    });

    app.get('/checkpoints', {
      schema: {
        summary: 'The checkpoints you may see, oldest first; latest=true: only the newest of each resource',
        querystring: pageQuery.extend({
          tenantId: z.string().optional().describe('only this tenant\'s checkpoints'),
          resourceId: z.string().optional(), planId: z.string().optional(), bankId: z.string().optional(), bankRef: z.string().optional().describe('its id in the bank'), status: Status.optional(),
          latest: z.enum(['true', 'false']).optional()
            .describe('true: of the checkpoints the other filters match, only the newest (by createdAt) of each resource; with status=available, each resource\'s last good one'),
        }),
        response: { 200: pageSchema(Checkpoint) },
      },
    }, async (request) => {
      const { limit, after, latest, tenantId, ...filters } = request.query;
      if (tenantId !== undefined) requireTenantRole(request, tenantId, 'viewer', `tenant ${tenantId}`);
      const tenants = tenantId !== undefined ? [tenantId] : visibleTenants(request);
      const defined = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
      const rows = await listCheckpoints(db, { limit, latest: latest === 'true', ...(after ? { after } : {}), ...(tenants ? { tenants } : {}), ...defined });
      return pageOf(rows, limit, view);
    });

    const Id = z.object({ id: z.string() });
    app.get('/checkpoints/:id', { schema: { summary: 'One checkpoint', params: Id, response: { 200: Checkpoint } } }, async (request) => view(await checkpointFor(request, request.params.id, 'viewer')));

    app.patch('/checkpoints/:id', {
      schema: { summary: 'Pin a checkpoint (retention never expires it) or unpin it', params: Id, body: z.object({ pinned: z.boolean() }), response: { 200: Checkpoint } },
    }, async (request) => {
      const c = await checkpointFor(request, request.params.id, 'member');
      await setPinned(db, c.id, request.body.pinned);
      return view((await findCheckpoint(db, c.id))!);
    });

    app.delete('/checkpoints/:id', {
      schema: { summary: 'Delete a checkpoint from its bank (an operation)', params: Id, response: { 202: Operation } },
    }, async (request, reply) => {
      const c = await checkpointFor(request, request.params.id, 'member');
      if (c.status === 'protecting') throw new HttpProblem(409, `checkpoint ${c.id} is still being made: cancel its operation ${c.operationId} instead`);
      const op = await submitter().submit({ tenantId: c.tenantId, type: 'delete', request: { checkpointId: c.id }, createdBy: principal(request).userId });
      return reply.code(202).send(operationView(op));
    });

    app.post('/restores', {
      schema: {
        summary: 'Restore a checkpoint: to a new volume or server, in place, or a server again after it was deleted',
        body: z.object({
          checkpointId: z.string(), target: RestoreTarget,
          parameters: z.record(z.string(), z.unknown()).default({}).describe('more of the plugin\'s restore target (a new volume\'s format, ...), checked against its restoreTargetSchema'),
        }),
        response: { 202: Operation },
      },
    }, async (request, reply) => {
      const { checkpointId, target, parameters } = request.body;
      const c = await checkpointFor(request, checkpointId, 'member');
      if (c.status !== 'available' || !c.bankRef) throw new HttpProblem(409, `checkpoint ${c.id} is ${c.status}, not available to restore`);
      const resource = c.resourceId ? await findResource(db, c.resourceId) : undefined;
      const hostId = (target.mode === 'new' ? target.hostId : undefined) ?? resource?.hostId;
      const host = hostId ? await findHost(db, hostId) : undefined;
      if (!host) throw new HttpProblem(400, `say where to restore checkpoint ${c.id} with target.hostId: its resource ${resource ? 'has no host' : 'is no longer in the catalog'}`);
      // The resource's own host serves its restores; another host must be the tenant's (or an operator's choice).
      if (host.id !== resource?.hostId && host.tenantId !== c.tenantId) requireTenantRole(request, host.tenantId, 'member', `host ${host.id}`);
      const { plugin, newPath } = await pluginTarget(c, host, target, resource?.externalId, parameters);
      const check = restoreSchemas.get(pluginTypeOf(c.type))!;
      if (!check(plugin)) throw new HttpProblem(400, `the restore target does not fit the ${c.type} plugin: ${ajv.errorsText(check.errors, { dataVar: 'target' })}`);
      // At another site, the restore reads that site's copy of the bank when it has one.
      const bank = await bankAtSite(db, c.bankId, host.siteId);
      const req: RestoreRequest = { checkpointId: c.id, hostId: host.id, target: plugin, ...(newPath ? { newPath } : {}), ...(bank.id !== c.bankId ? { bankId: bank.id } : {}) };
      const op = await submitter().submit({ tenantId: c.tenantId, type: 'restore', request: { ...req }, createdBy: principal(request).userId });
      return reply.code(202).send(operationView(op));
    });

    const SiteBank = z.object({ id: z.string(), name: z.string(), siteId: z.string(), siteName: z.string() });
    const RestoreHost = z.object({
      id: z.string(), name: z.string(), kind: z.string(), siteId: z.string(), siteName: z.string(), tenantId: z.string().nullable(),
      original: z.boolean().describe('the host of the checkpoint\'s resource'),
      bank: SiteBank.describe('the bank a restore on this host reads from: a copy of the checkpoint\'s bank at the host\'s site, else its own'),
    });
    app.get('/checkpoints/:id/restore-hosts', {
      schema: {
        summary: 'The hosts, at this site or another, a checkpoint may be restored to as a new resource (target.hostId of POST /v1/restores)',
        params: Id, response: { 200: z.object({ items: z.array(RestoreHost) }) },
      },
    }, async (request) => {
      const c = await checkpointFor(request, request.params.id, 'member');
      const resource = c.resourceId ? await findResource(db, c.resourceId) : undefined;
      return { items: await restoreHosts(db, c, resource?.hostId, principal(request).operator) };
    });

    app.post('/verifications', {
      schema: {
        summary: 'Verify checkpoints: read every chunk they reference and check it (an operation)',
        body: z.object({ checkpointIds: z.array(z.string()).min(1).max(1000) }),
        response: { 202: Operation },
      },
    }, async (request, reply) => {
      const owners = new Set<string | null>();
      for (const id of request.body.checkpointIds) {
        const c = await checkpointFor(request, id, 'member');
        if (c.status !== 'available') throw new HttpProblem(409, `checkpoint ${c.id} is ${c.status}, not available to verify`);
        owners.add(c.tenantId);
      }
      if (owners.size > 1) throw new HttpProblem(400, 'the checkpoints belong to different tenants: verify each tenant\'s apart');
      const op = await submitter().submit({ tenantId: [...owners][0] ?? null, type: 'verify', request: { checkpointIds: [...new Set(request.body.checkpointIds)] }, createdBy: principal(request).userId });
      return reply.code(202).send(operationView(op));
    });
    return Promise.resolve();
  };
}

/**
 * The plugin's restore target for an API target. A new volume is a file named in a directory of
 * volumes (never a path the caller writes: a tenant cannot aim a restore at the host's files).
 */
/** The resource type whose plugin restores a checkpoint of this manifest type. */
function pluginTypeOf(checkpointType: string): ResourceType {
  return checkpointType === 'server' ? 'server' : checkpointType === 'files' ? 'fileset' : 'volume';
}

/** A new volume or directory: a name in the host's directory, not yet taken. */
async function newPathIn(host: HostRow, name: string): Promise<string> {
  const dir = await stat(host.location).catch(() => undefined);
  if (!dir?.isDirectory()) throw new HttpProblem(400, `host ${host.name}'s location ${host.location} is not a directory`);
  const path = join(host.location, name);
  if (await stat(path).catch(() => undefined)) throw new HttpProblem(409, `host ${host.name} has ${name} already: choose another name, or restore in place`);
  return path;
}

async function pluginTarget(c: CheckpointRow, host: HostRow, target: z.infer<typeof RestoreTarget>, externalId: string | undefined, parameters: Record<string, unknown>): Promise<{ plugin: Record<string, unknown>; newPath?: string }> {
  if (c.type === 'files') {
    if (host.kind !== 'files') throw new HttpProblem(400, `a file set restores on a host of file roots; host ${host.name} is a ${host.kind} one`);
    if (target.mode === 'recreate') throw new HttpProblem(400, 'mode recreate is for servers: restore a file set as a new directory, or in place');
    if (target.mode === 'in-place') {
      if (!externalId) throw new HttpProblem(400, `the file set of checkpoint ${c.id} is no longer in the catalog: restore it as a new directory`);
      return { plugin: { ...parameters, path: externalId } };
    }
    const path = await newPathIn(host, target.name);
    return { plugin: { ...parameters, path }, newPath: path };
  }
  if (c.type === 'server') {
    if (host.kind !== 'libvirt') throw new HttpProblem(400, `a server restores on a libvirt host; host ${host.name} is a ${host.kind} one`);
    return { plugin: { ...parameters, mode: target.mode, ...(target.mode === 'new' ? { name: target.name } : {}) } };
  }
  if (target.mode === 'recreate') throw new HttpProblem(400, 'mode recreate is for servers: restore a volume as a new one, or in place');
  if (target.mode === 'in-place') {
    if (!externalId) throw new HttpProblem(400, `the volume of checkpoint ${c.id} is no longer in the catalog: restore it as a new volume`);
    return { plugin: { ...parameters, path: externalId, inPlace: true } };
  }
  if (host.kind !== 'volumes') throw new HttpProblem(400, `a new volume goes to a host that is a directory of volumes; host ${host.name} is a ${host.kind} one`);
  const path = await newPathIn(host, target.name);
  return { plugin: { format: target.name.endsWith('.qcow2') ? 'qcow2' : 'raw', ...parameters, path }, newPath: path };
}
