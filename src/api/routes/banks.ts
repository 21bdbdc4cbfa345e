/** Sites and banks (operators). A bank's passphrase goes in, sealed, and never comes out. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BankService } from '../../core/bank-service.ts';
import { addBank, createSite, findBank, listBanks, listSites, setBankLimit, setMaintenance } from '../../catalog/banks.ts';
import { bankActivity, type UpkeepRun } from '../../catalog/bank-health.ts';
import { CairnError } from '../../core/errors.ts';
import { MAX_GROUP_LIMIT } from '../../jobs/queue.ts';
import type { Operations } from '../../jobs/operations-service.ts';
import { principal } from '../auth.ts';
import { Operation, operationView } from './operations.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import type { MasterKey } from '../../catalog/secrets.ts';
import { HttpProblem } from '../problem.ts';
import { requireOperator } from '../scope.ts';

const Site = z.object({ id: z.string(), name: z.string(), createdAt: z.iso.datetime() });
const Maintenance = z.object({
  gcSchedule: z.string().max(200).optional().describe('when to delete the data no checkpoint needs (cron or a calendar form, e.g. weekly on sun at 04:00)'),
  verifySchedule: z.string().max(200).optional().describe('when to verify checkpoints'),
  timeZone: z.string().optional().describe('of both schedules (default UTC)'),
  samplePercent: z.number().int().min(1).max(100).optional().describe('verify this share of the checkpoints each time, those verified longest ago first (default: all)'),
  reverifyDays: z.number().int().min(0).optional().describe('leave out checkpoints verified within this many days'),
}).strict();
/** How many operations may run at once on a host or a bank, across the cluster; null: no limit. */
export const MaxOperations = z.number().int().min(1).max(MAX_GROUP_LIMIT).nullable();

const BankOut = z.object({
  id: z.string(), name: z.string(), siteId: z.string(), location: z.string(), bankUuid: z.string(), createdAt: z.iso.datetime(), maintenance: Maintenance,
  maxOperations: z.number().int().nullable().describe('operations running on the bank at once, across the cluster; null: no limit'),
});
const Upkeep = z.object({ id: z.string(), state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']), finishedAt: z.iso.datetime().nullable(), error: z.string().nullable() }).nullable();
const BankHealth = z.object({
  reachable: z.boolean().describe('the bank\'s descriptor was read at its location, within 5 s, and names the bank the catalog knows'),
  reason: z.string().nullable().describe('why it is not reachable; null when it is'),
  checkpoints: z.number().int().describe('checkpoints the bank holds, by the catalog'),
  storedBytes: z.number().describe('bytes those checkpoints wrote to the bank'),
  damagedCheckpoints: z.number().int().describe('checkpoints a verification found damaged'),
  lastGc: Upkeep.describe('the newest garbage collection of the bank; null: never'),
  lastVerify: Upkeep.describe('the newest verification on the bank; null: never'),
  runningOperations: z.number().int().describe('operations running on the bank now'),
  maxOperations: z.number().int().nullable(),
});
/** How long a health check waits for the bank's location (a slow S3 endpoint is unhealthy too). */
const REACH_TIMEOUT_MS = 5_000;
const upkeepView = (r: UpkeepRun | null) => r && { ...r, finishedAt: r.finishedAt?.toISOString() ?? null };

const Name = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name is letters, digits, ".", "_" and "-", starting with a letter or digit');

export function bankRoutes(catalog: Catalog, key: MasterKey, banks: BankService, operations: Operations | undefined): FastifyPluginAsyncZod {
  return (app) => {
    app.get('/sites', { schema: { summary: 'Sites (operators)', response: { 200: z.object({ items: z.array(Site) }) } } }, async (request) => {
      requireOperator(request);
      return { items: (await listSites(catalog.db)).map((s) => ({ ...s, createdAt: s.createdAt.toISOString() })) };
    });

    app.post('/sites', { schema: { summary: 'Create a site (operators)', body: z.object({ name: Name }), response: { 201: Site } } }, async (request, reply) => {
      requireOperator(request);
      const s = await createSite(catalog.db, request.body.name);
      return reply.code(201).send({ ...s, createdAt: s.createdAt.toISOString() });
    });

    app.get('/banks', { schema: { summary: 'Banks (operators); passphrases are never shown', response: { 200: z.object({ items: z.array(BankOut) }) } } }, async (request) => {
      requireOperator(request);
      return { items: (await listBanks(catalog.db)).map((b) => ({ ...b, createdAt: b.createdAt.toISOString() })) };
    });

    app.post('/banks', {
      schema: {
        summary: 'Attach a bank to a site, or create one (operators)',
        body: z.object({
          name: Name, siteId: z.string(),
          location: z.string().min(1).max(1000).describe('a directory on the server, or s3://bucket/prefix'),
          passphrase: z.string().min(12).max(1000).optional().describe('the bank\'s passphrase; for a new bank, generated when absent'),
          create: z.boolean().default(false).describe('make a new bank when the location holds none'),
        }),
        response: { 201: BankOut },
      },
    }, async (request, reply) => {
      requireOperator(request);
      const { name, siteId, location, create } = request.body;
      const passphrase = request.body.passphrase ?? (create ? randomBytes(32).toString('base64url') : undefined);
      if (!passphrase) throw new HttpProblem(400, 'attaching an existing bank needs its passphrase (or "create": true for a new bank)');
      const { bankUuid } = await banks.attach(location, passphrase, create);
      const b = await addBank(catalog.db, key, { name, siteId, location, bankUuid, passphrase });
      return reply.code(201).send({ ...b, createdAt: b.createdAt.toISOString() });
    });
    const Id = z.object({ id: z.string() });
    app.patch('/banks/:id', {
      schema: {
        summary: 'Set a bank\'s upkeep (garbage collection and verification schedules) and how many operations may run on it at once (operators)',
        params: Id, response: { 200: BankOut },
        body: z.object({ maintenance: Maintenance.optional(), maxOperations: MaxOperations.optional() })
          .refine((b) => b.maintenance !== undefined || b.maxOperations !== undefined, 'give maintenance, maxOperations or both'),
      },
    }, async (request) => {
      requireOperator(request);
      const { id } = request.params;
      if (!(await findBank(catalog.db, id))) throw new HttpProblem(404, `there is no bank ${id}`);
      const { maintenance, maxOperations } = request.body;
      if (maintenance) await setMaintenance(catalog.db, id, maintenance);
      if (maxOperations !== undefined) await setBankLimit(catalog.db, id, maxOperations);
      const b = (await findBank(catalog.db, id))!;
      return { ...b, createdAt: b.createdAt.toISOString() };
    });

    app.get('/banks/:id/health', {
      schema: { summary: 'Whether a bank answers at its location, what it holds, and its last upkeep (operators)', params: Id, response: { 200: BankHealth } },
    }, async (request) => {
      requireOperator(request);
      const bank = await findBank(catalog.db, request.params.id);
      if (!bank) throw new HttpProblem(404, `there is no bank ${request.params.id}`);
      const [reason, activity] = await Promise.all([unreachable(banks, bank.location, bank.bankUuid), bankActivity(catalog.db, bank.id)]);
      return {
        reachable: reason === null, reason, ...activity, lastGc: upkeepView(activity.lastGc), lastVerify: upkeepView(activity.lastVerify), maxOperations: bank.maxOperations,
      };
    });

    app.post('/banks/:id/gc', {
      schema: { summary: 'Delete the bank\'s data no checkpoint needs, now (an operation; operators)', params: Id, response: { 202: Operation } },
    }, async (request, reply) => {
      requireOperator(request);
      if (!(await findBank(catalog.db, request.params.id))) throw new HttpProblem(404, `there is no bank ${request.params.id}`);
      if (!operations) throw new HttpProblem(503, 'this node runs no job queue');
      const op = await operations.submit({ tenantId: null, type: 'gc', request: { bankId: request.params.id }, createdBy: principal(request).userId });
      return reply.code(202).send(operationView(op));
    });
    return Promise.resolve();
  };
}

/**
 * Why the bank at `location` cannot be reached, or null when it can: its descriptor, which needs no
 * key, is read (the passphrase is never used, so it cannot show in a reason) and must name the bank.
 */
async function unreachable(banks: BankService, location: string, bankUuid: string): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer from ${location} within ${REACH_TIMEOUT_MS / 1000} s`)), REACH_TIMEOUT_MS); });
  try {
    const found = await Promise.race([banks.identify(location), timeout]);
    return found === bankUuid ? null : `${location} holds another bank (${found}), not ${bankUuid}`;
  } catch (err) {
    // The format's own words suggest making a bank there; for a bank the catalog knows, it is gone instead.
    if (err instanceof CairnError && err.code === 'not-a-bank') return `${location} holds no Cairn bank (no cairn-bank.json): was it moved or removed? Put the bank back there`;
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
