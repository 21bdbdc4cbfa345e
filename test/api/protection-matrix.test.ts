// Who may do what with policies, plans, checkpoints, restores, verifications, operations, quotas and
// usage: each role × each endpoint × own or another tenant's object → the expected status. Another
// tenant's ids answer 404 and its objects never appear in lists. In process (Fastify's inject), on a real
// embedded catalog and job queue (no worker: operations stay queued).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '../../src/api/app.ts';
import { ensureAdmin, issueToken } from '../../src/catalog/access.ts';
import { addBank, createSite } from '../../src/catalog/banks.ts';
import { openCatalog } from '../../src/catalog/catalog.ts';
import { beginCheckpoint, completeCheckpoint } from '../../src/catalog/checkpoints.ts';
import { createOperation } from '../../src/catalog/operations.ts';
import { createPlan } from '../../src/catalog/plans.ts';
import { createPolicy } from '../../src/catalog/policies.ts';
import { addHost, recordDiscovery } from '../../src/catalog/resources.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { createTenant, createUser, setMember } from '../../src/catalog/tenants.ts';
import { Operations } from '../../src/jobs/operations-service.ts';
import { bankService } from '../../src/main/bank-service.ts';
import { pluginCatalog } from '../../src/main/plugin-catalog.ts';
import { protection } from '../../src/main/protection.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ROLES = ['operator', 'aAdmin', 'aMember', 'aViewer', 'bAdmin'] as const;
type Role = typeof ROLES[number];

test('the access matrix of policies, plans, checkpoints, restores, operations, quotas and usage', async (t) => {
  const dir = await tempDir(t);
  const catalog = await openCatalog({ dataDir: join(dir, 'data') });
  t.after(() => catalog.close());
  const db = catalog.db;
  const key = new MasterKey(randomBytes(32));
  await ensureAdmin(db, 'operator password');
  const a = (await createTenant(db, 'tenant-a')).id, b = (await createTenant(db, 'tenant-b')).id;
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = role === 'operator' ? await db.selectFrom('users').select('id').executeTakeFirstOrThrow() : await createUser(db, { username: role, password: 'a password of twelve', operator: false });
    if (role !== 'operator') await setMember(db, role === 'bAdmin' ? b : a, user.id, role === 'aMember' ? 'member' : role === 'aViewer' ? 'viewer' : 'admin');
    tokens[role] = (await issueToken(db, user.id, { name: 't' })).token;
  }

  // Tenant a's world: a volume on a host, a policy, a plan, a checkpoint, an operation; and an offering.
  const vols = join(dir, 'vols');
  await mkdir(vols);
  const site = (await createSite(db, 'site')).id;
  const passphrase = 'the bank passphrase that must never show';
  const bank = await addBank(db, key, { name: 'bank', siteId: site, location: join(dir, 'bank'), bankUuid: 'f'.repeat(32), passphrase });
  const host = await addHost(db, { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: a });
  await recordDiscovery(db, host, [{ type: 'volume', id: join(vols, 'v.qcow2'), name: 'v.qcow2', sizeBytes: 1 << 20 }]);
  const resource = (await db.selectFrom('resources').select('id').executeTakeFirstOrThrow()).id;
  const policy = await createPolicy(db, a, { name: 'pa', retention: { keepLast: 3 } });
  const offering = await createPolicy(db, null, { name: 'gold', retention: { keepDaily: 30 } });
  const plan = await createPlan(db, a, { name: 'plan-a', policyId: policy.id, bankId: bank.id, resourceIds: [resource] });
  const op = (await createOperation(db, { tenantId: a, type: 'backup', request: {}, createdBy: null }))!.row;
  const cp = await beginCheckpoint(db, { operationId: op.id, resourceId: resource, tenantId: a, bankId: bank.id, planId: plan.id, name: 'vols/v.qcow2', type: 'image' });
  await completeCheckpoint(db, cp.id, { ref: '0123456789abcdef', name: 'vols/v.qcow2', type: 'image', parentRef: null, createdAt: new Date().toISOString(), sourceBytes: 1 << 20, writtenBytes: 1000, storedBytes: 1000, tags: [], warnings: [] });

  const operations = await Operations.start(catalog, { masterKey: key, protection: protection({}), concurrency: 0, node: 'test', removePartial: () => Promise.resolve() });
  t.after(() => operations.stop());
  const app = await buildApp({ catalog, version: 'test', masterKey: key, banks: bankService({}), plugins: pluginCatalog(), operations });
  t.after(() => app.close());
  const ask = async (as: Role | null, method: string, url: string, body?: unknown) => {
    const res = await app.inject({ method: method as 'GET', url, headers: as ? { authorization: `Bearer ${tokens[as]}` } : {}, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
    return { status: res.statusCode, body: res.body };
  };

  let n = 0;
  const fresh = {
    policy: async () => (await createPolicy(db, a, { name: `p${n++}`, retention: { keepLast: 1 } })).id,
    plan: async () => (await createPlan(db, a, { name: `plan${n++}`, policyId: policy.id, bankId: bank.id, resourceIds: [] })).id,
    operation: async () => (await createOperation(db, { tenantId: a, type: 'verify', request: {}, createdBy: null }))!.row.id,
  };
  type Expect = [number, number, number, number, number];
  type Row = [string, string | (() => Promise<string>), (() => unknown) | undefined, Expect];
  const own = [200, 200, 200, 200, 404] as Expect, act = [202, 202, 202, 403, 404] as Expect, ops = [200, 403, 403, 403, 403] as Expect;
  const rows: Row[] = [
    ['GET', `/v1/policies/${policy.id}`, undefined, own],
    ['PATCH', `/v1/policies/${policy.id}`, () => ({ description: 'changed' }), [200, 200, 200, 403, 404]],
    ['DELETE', async () => `/v1/policies/${await fresh.policy()}`, undefined, [204, 204, 204, 403, 404]],
    ['POST', '/v1/policies', () => ({ tenantId: a, name: `new${n++}`, retention: { keepLast: 1 } }), [201, 201, 201, 403, 404]],
    ['GET', `/v1/policies/${offering.id}`, undefined, [200, 200, 200, 200, 200]],
    ['PATCH', `/v1/policies/${offering.id}`, () => ({ description: 'changed' }), ops],
    ['GET', `/v1/plans/${plan.id}`, undefined, own],
    ['POST', '/v1/plans', () => ({ tenantId: a, name: `plan${n++}`, policyId: policy.id, resourceIds: [resource] }), [201, 201, 201, 403, 404]],
    ['PATCH', `/v1/plans/${plan.id}`, () => ({ enabled: true }), [200, 200, 200, 403, 404]],
    ['DELETE', async () => `/v1/plans/${await fresh.plan()}`, undefined, [204, 204, 204, 403, 404]],
    ['GET', `/v1/resources/${resource}`, undefined, own],
    ['PATCH', `/v1/resources/${resource}`, () => ({ tenantId: a }), ops],
    ['GET', '/v1/hosts', undefined, ops],
    ['GET', `/v1/checkpoints/${cp.id}`, undefined, own],
    ['POST', '/v1/checkpoints', () => ({ resourceIds: [resource] }), act],
    ['POST', '/v1/checkpoints', () => ({ planId: plan.id }), act],
    ['DELETE', `/v1/checkpoints/${cp.id}`, undefined, act],
    ['POST', '/v1/restores', () => ({ checkpointId: cp.id, target: { mode: 'new', name: `r${n++}.qcow2` } }), act],
    ['POST', '/v1/verifications', () => ({ checkpointIds: [cp.id] }), act],
    ['GET', `/v1/operations/${op.id}`, undefined, own],
    ['POST', async () => `/v1/operations/${await fresh.operation()}/cancel`, undefined, act],
    ['GET', `/v1/tenants/${a}/quota`, undefined, own],
    ['PUT', `/v1/tenants/${a}/quota`, () => ({ maxResources: null, maxCheckpoints: null, maxStoredBytes: null }), ops],
    ['GET', `/v1/usage?tenantId=${a}`, undefined, own],
    ['POST', '/v1/webhooks', () => ({ tenantId: a, url: 'https://hooks.example/cairn', events: ['operation.failed'] }), [201, 201, 403, 403, 404]],
    ['GET', '/v1/webhooks', undefined, [200, 200, 200, 200, 200]],
    ['GET', `/v1/plans/${plan.id}/status`, undefined, own],
    ['PATCH', `/v1/banks/${bank.id}`, () => ({ maintenance: {} }), ops],
  ];
  const wrong: string[] = [];
  for (const [method, where, body, expected] of rows) {
    for (const [i, as] of ROLES.entries()) {
      const url = typeof where === 'string' ? where : await where();
      const got = await ask(as, method, url, body?.());
      if (got.status !== expected[i]) wrong.push(`${as} ${method} ${url}: ${got.status}, expected ${expected[i]} (${got.body.slice(0, 160)})`);
      if (got.body.includes(passphrase) || /secret_sealed|secretSealed/.test(got.body)) wrong.push(`${as} ${method} ${url}: the response holds a secret`);
      if (as === 'bAdmin' && got.status === 404 && /v\.qcow2|plan-a|0123456789abcdef/.test(got.body)) wrong.push(`${method} ${url}: a 404 tells of tenant a's object`);
    }
    const anonymous = await ask(null, method, typeof where === 'string' ? where : await where(), body?.());
    if (anonymous.status !== 401) wrong.push(`no token ${method}: ${anonymous.status}, expected 401`);
  }
  assert.deepEqual(wrong, []);

  // Lists: tenant b's admin sees none of tenant a's objects, only the offering among the policies.
  const list = async (as: Role, url: string): Promise<{ id: string }[]> => (JSON.parse((await ask(as, 'GET', url)).body) as { items: { id: string }[] }).items;
  for (const url of ['/v1/plans', '/v1/checkpoints', '/v1/operations', '/v1/resources', '/v1/usage', '/v1/webhooks']) assert.deepEqual(await list('bAdmin', url), [], url);
  const plain = await ask('aAdmin', 'POST', '/v1/webhooks', { tenantId: a, url: 'http://10.0.0.1/hook', events: ['operation.failed'] });
  assert.equal(plain.status, 400, 'a tenant\'s webhook is https');
  assert.deepEqual((await list('bAdmin', '/v1/policies')).map((p) => p.id), [offering.id]);
  assert.ok((await list('aViewer', '/v1/checkpoints')).some((c) => c.id === cp.id));
  assert.ok((await list('operator', '/v1/operations')).length > 1);
});
