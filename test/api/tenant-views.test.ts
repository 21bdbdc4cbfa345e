// What the console's tenant views ask of the API, in process (Fastify's inject) on a real embedded
// catalog: each resource's newest checkpoint in one call (GET /v1/checkpoints?latest=true, with the
// other filters, paged and scoped like the plain listing), and the banks a tenant's member may choose
// for a plan (GET /v1/plan-banks: name, site and the default, never where a bank is or how it opens).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { openCatalog, type Catalog } from '../../src/catalog/catalog.ts';
import { ensureAdmin, issueToken } from '../../src/catalog/access.ts';
import { addBank, createSite } from '../../src/catalog/banks.ts';
import { timeOrderedId } from '../../src/catalog/ids.ts';
import { addHost, recordDiscovery } from '../../src/catalog/resources.ts';
import type { CheckpointStatus } from '../../src/catalog/schema.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { createTenant, createUser, setMember } from '../../src/catalog/tenants.ts';
import { bankService } from '../../src/main/bank-service.ts';
import { pluginCatalog } from '../../src/main/plugin-catalog.ts';
import { tempDir } from '../testkit/temp-dir.ts';

type Who = 'operator' | 'aMember' | 'aViewer' | 'bAdmin';
interface World { app: FastifyInstance; catalog: Catalog; key: MasterKey; site: string; a: string; b: string; tokens: Record<Who, string> }

async function world(t: TestContext): Promise<World> {
  const catalog = await openCatalog({ dataDir: join(await tempDir(t), 'data') });
  t.after(() => catalog.close());
  const db = catalog.db;
  await ensureAdmin(db, 'operator password');
  const admin = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
  const a = (await createTenant(db, 'a')).id, b = (await createTenant(db, 'b')).id;
  const user = async (username: string, tenant: string, role: 'admin' | 'member' | 'viewer'): Promise<string> => {
    const u = await createUser(db, { username, password: 'a password of twelve', operator: false });
    await setMember(db, tenant, u.id, role);
    return u.id;
  };
  const ids = { operator: admin.id, aMember: await user('a-member', a, 'member'), aViewer: await user('a-viewer', a, 'viewer'), bAdmin: await user('b-admin', b, 'admin') };
  const tokens = {} as Record<Who, string>;
  for (const [who, id] of Object.entries(ids)) tokens[who as Who] = (await issueToken(db, id, { name: 't' })).token;
  const key = new MasterKey(randomBytes(32));
  const app = await buildApp({ catalog, version: 'test', masterKey: key, banks: bankService({}), plugins: pluginCatalog() });
  t.after(() => app.close());
  return { app, catalog, key, site: (await createSite(db, 'main')).id, a, b, tokens };
}

async function ask<T = Record<string, unknown>>(w: World, as: Who | null, method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await w.app.inject({ method: method as 'GET', url, headers: as ? { authorization: `Bearer ${w.tokens[as]}` } : {}, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as T, text: res.body };
}

async function bank(w: World, name: string, siteId = w.site): Promise<string> {
  return (await addBank(w.catalog.db, w.key, { name, siteId, location: `/srv/secret-place/${name}`, bankUuid: `uuid-of-${name}`, passphrase: `passphrase of ${name}` })).id;
}

interface CheckpointJson { id: string; resourceId: string | null; status: string; createdAt: string }
interface Page { items: CheckpointJson[]; next: string | null }

test('GET /v1/checkpoints?latest=true: the newest checkpoint of each resource, after the other filters, paged, one tenant\'s', async (t) => {
  const w = await world(t);
  const db = w.catalog.db;
  const bankId = await bank(w, 'local');
  const resourcesOf = async (tenantId: string, names: string[]): Promise<string[]> => {
    const host = await addHost(db, { name: `host-${tenantId}`, siteId: w.site, kind: 'volumes', location: `/vols/${tenantId}`, tenantId });
    await recordDiscovery(db, host, names.map((name) => ({ type: 'volume', id: `/vols/${tenantId}/${name}`, name })));
    const rows = await db.selectFrom('resources').select(['id', 'name']).where('host_id', '=', host.id).execute();
    return names.map((n) => rows.find((r) => r.name === n)!.id);
  };
  const [web, dbVol, scratch, empty] = await resourcesOf(w.a, ['web', 'db', 'scratch', 'empty']);
  const [secret] = await resourcesOf(w.b, ['secret']);
  const t0 = Date.parse('2025-03-01T10:00:00Z');
  const made: Record<string, string> = {};
  const checkpoint = async (label: string, tenantId: string, resourceId: string | null, minutes: number, status: CheckpointStatus, idAt = t0 + minutes * 60_000): Promise<void> => {
    const id = timeOrderedId(idAt);
    made[label] = id;
    await db.insertInto('checkpoints').values({
      id, tenant_id: tenantId, bank_id: bankId, resource_id: resourceId, name: label, type: 'volume', status, created_at: new Date(t0 + minutes * 60_000),
      bank_ref: status === 'protecting' ? null : `ref-${label}`, completed_at: status === 'available' ? new Date(t0 + minutes * 60_000 + 1000) : null,
    }).execute();
  };
  await checkpoint('web-1', w.a, web!, 0, 'available');
  await checkpoint('web-2', w.a, web!, 60, 'available');
  await checkpoint('web-3', w.a, web!, 120, 'error');
  await checkpoint('db-1', w.a, dbVol!, 30, 'available');
  await checkpoint('db-2', w.a, dbVol!, 180, 'protecting');
  // Made at the same instant: the greater id is the newer. An imported one, made later, has an older id: createdAt decides.
  await checkpoint('scratch-1', w.a, scratch!, 90, 'available');
  await checkpoint('scratch-2', w.a, scratch!, 90, 'available', t0 + 90 * 60_000 + 1);
  await checkpoint('scratch-imported', w.a, scratch!, 100, 'available', t0 - 3_600_000);
  await checkpoint('orphan', w.a, null, 200, 'available');
  await checkpoint('secret-1', w.b, secret!, 10, 'available');
  const labels = (page: Page) => page.items.map((c) => Object.entries(made).find(([, id]) => id === c.id)?.[0] ?? c.id).sort();

  const all = await ask<Page>(w, 'aViewer', 'GET', '/v1/checkpoints');
  assert.equal(all.body.items.length, 9, 'without latest, every checkpoint of the tenant, as before');
  assert.deepEqual((await ask<Page>(w, 'aViewer', 'GET', '/v1/checkpoints?latest=false')).body, all.body);

  const latest = await ask<Page>(w, 'aViewer', 'GET', '/v1/checkpoints?latest=true');
  assert.equal(latest.status, 200, latest.text);
  assert.deepEqual(labels(latest.body), ['db-2', 'scratch-imported', 'web-3'], 'one per resource, the newest whatever its status; none for a resource without any, none without a resource');
  assert.deepEqual(latest.body.items.map((c) => c.id), [...latest.body.items.map((c) => c.id)].sort(), 'ordered by id, as every page is');
  assert.equal(latest.body.items.length, new Set(latest.body.items.map((c) => c.resourceId)).size);
  assert.ok(!latest.body.items.some((c) => c.resourceId === empty));

  assert.deepEqual(labels((await ask<Page>(w, 'aViewer', 'GET', '/v1/checkpoints?latest=true&status=available')).body), ['db-1', 'scratch-imported', 'web-2'], 'with status=available: each resource\'s last good one');
  assert.deepEqual(labels((await ask<Page>(w, 'aViewer', 'GET', `/v1/checkpoints?latest=true&resourceId=${web}`)).body), ['web-3']);
  await db.deleteFrom('checkpoints').where('id', '=', made['scratch-imported']!).execute();
  assert.deepEqual(labels((await ask<Page>(w, 'aViewer', 'GET', `/v1/checkpoints?latest=true&resourceId=${scratch}`)).body), ['scratch-2'], 'at the same instant, the greater id');

  // Pages chain by `after` as in the plain listing.
  const paged: CheckpointJson[] = [];
  let page = (await ask<Page>(w, 'aViewer', 'GET', '/v1/checkpoints?latest=true&limit=1')).body;
  for (;;) {
    assert.ok(page.items.length <= 1);
    paged.push(...page.items);
    if (!page.next) break;
    page = (await ask<Page>(w, 'aViewer', 'GET', `/v1/checkpoints?latest=true&limit=1&after=${page.next}`)).body;
  }
  assert.deepEqual(labels({ items: paged, next: null }), ['db-2', 'scratch-2', 'web-3']);

  // One tenant's: another tenant's resources never show, and naming another tenant answers as if it did not exist.
  assert.deepEqual(labels((await ask<Page>(w, 'bAdmin', 'GET', '/v1/checkpoints?latest=true')).body), ['secret-1']);
  assert.equal((await ask(w, 'aViewer', 'GET', `/v1/checkpoints?latest=true&tenantId=${w.b}`)).status, 404);
  assert.equal((await ask(w, 'aViewer', 'GET', `/v1/checkpoints?tenantId=${w.b}`)).status, 404);
  assert.deepEqual(labels((await ask<Page>(w, 'aViewer', 'GET', `/v1/checkpoints?latest=true&tenantId=${w.a}`)).body), ['db-2', 'scratch-2', 'web-3']);
  assert.deepEqual(labels((await ask<Page>(w, 'operator', 'GET', '/v1/checkpoints?latest=true')).body), ['db-2', 'scratch-2', 'secret-1', 'web-3'], 'an operator sees every tenant\'s');
  assert.deepEqual(labels((await ask<Page>(w, 'operator', 'GET', `/v1/checkpoints?latest=true&tenantId=${w.b}`)).body), ['secret-1']);
  const bad = await ask<{ detail: string }>(w, 'aViewer', 'GET', '/v1/checkpoints?latest=yes');
  assert.equal(bad.status, 400);
  assert.match(bad.body.detail, /latest/);
});

test('GET /v1/plan-banks: every signed-in user sees the banks a plan may use by name and site, and the default; a member picks one for a plan and changes it', async (t) => {
  const w = await world(t);
  interface Choice { id: string; name: string; siteName: string; default: boolean }
  const choices = async (as: Who): Promise<Choice[]> => {
    const res = await ask<{ items: Choice[] }>(w, as, 'GET', '/v1/plan-banks');
    assert.equal(res.status, 200, res.text);
    for (const secret of ['secret-place', 'uuid-of', 'passphrase', 'location', 'bankUuid', 'maintenance']) assert.doesNotMatch(res.text, new RegExp(secret), `a tenant's user never learns a bank's ${secret}`);
    for (const c of res.body.items) assert.deepEqual(Object.keys(c).sort(), ['default', 'id', 'name', 'siteName']);
    return res.body.items;
  };
  assert.equal((await ask(w, null, 'GET', '/v1/plan-banks')).status, 401);
  assert.deepEqual(await choices('aViewer'), []);

  // One bank: the default, whatever its name.
  const alpha = await bank(w, 'alpha');
  assert.deepEqual(await choices('aMember'), [{ id: alpha, name: 'alpha', siteName: 'main', default: true }]);

  // Two, neither named local: no default, and a plan must name its bank.
  const dr = (await createSite(w.catalog.db, 'disaster-recovery')).id;
  const offsite = await bank(w, 'offsite', dr);
  assert.deepEqual((await choices('bAdmin')).map((c) => [c.name, c.siteName, c.default]), [['alpha', 'main', false], ['offsite', 'disaster-recovery', false]]);
  const policy = (await ask<{ id: string }>(w, 'aMember', 'POST', '/v1/policies', { name: 'p', retention: { keepLast: 2 } })).body.id;
  const unnamed = await ask<{ detail: string }>(w, 'aMember', 'POST', '/v1/plans', { name: 'no bank', policyId: policy, resourceIds: [] });
  assert.equal(unnamed.status, 400);
  assert.match(unnamed.body.detail, /say which one with bankId/);

  // With one named local, that one is the default, and a plan without a bank gets it.
  const local = await bank(w, 'local');
  const three = await choices('aViewer');
  assert.deepEqual(three.map((c) => [c.name, c.default]), [['alpha', false], ['local', true], ['offsite', false]]);
  assert.deepEqual(await choices('operator'), three, 'operators see the same listing');
  const plain = await ask<{ bankId: string }>(w, 'aMember', 'POST', '/v1/plans', { name: 'plain', policyId: policy, resourceIds: [] });
  assert.equal(plain.status, 201, plain.text);
  assert.equal(plain.body.bankId, local);

  // A member picks another bank from the list, and an RPO; then changes both, and sets the RPO back to the schedule's.
  const chosen = await ask<{ id: string; bankId: string; rpoSeconds: number | null }>(w, 'aMember', 'POST', '/v1/plans', { name: 'offsite copy', policyId: policy, resourceIds: [], bankId: offsite, rpoSeconds: 7200 });
  assert.equal(chosen.status, 201, chosen.text);
  assert.deepEqual([chosen.body.bankId, chosen.body.rpoSeconds], [offsite, 7200]);
  const moved = await ask<{ bankId: string; rpoSeconds: number | null; name: string }>(w, 'aMember', 'PATCH', `/v1/plans/${chosen.body.id}`, { bankId: alpha, rpoSeconds: null });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual([moved.body.bankId, moved.body.rpoSeconds, moved.body.name], [alpha, null, 'offsite copy']);
  const unknown = await ask<{ detail: string }>(w, 'aMember', 'PATCH', `/v1/plans/${chosen.body.id}`, { bankId: 'no-such-bank' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.detail, /there is no bank no-such-bank/);
});
