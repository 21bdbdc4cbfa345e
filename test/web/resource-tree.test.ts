// The console's pure rules, on their own: how resources nest into a tree, and which plans protect one
// (a plan on a server protects its volumes; a disabled plan protects nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceTree, type ResourceNode } from '../../web/src/resource-tree.ts';
import { plansProtecting } from '../../web/src/protection-summary.ts';
import type { Plan, Resource } from '../../web/src/types.ts';

const resource = (id: string, type: string, name: string, parentId: string | null = null): Resource =>
  ({ id, tenantId: 't', type, externalId: `/vols/${name}`, name, parentId, sizeBytes: null, missingSince: null });
const plan = (id: string, resourceIds: string[], enabled = true): Plan => ({ id, tenantId: 't', name: id, policyId: 'p', bankId: 'b', enabled, rpoSeconds: null, resourceIds });
const shape = (nodes: ResourceNode[]): unknown[] => nodes.map((n) => (n.children.length ? { [n.resource.name]: shape(n.children) } : n.resource.name));

test('servers hold their volumes; the rest, and volumes whose server is not listed, are at the top; sorted by type, then name', () => {
  const tree = resourceTree([
    resource('v2', 'volume', 'web-data', 's1'),
    resource('f1', 'fileset', 'home'),
    resource('s1', 'server', 'web'),
    resource('v1', 'volume', 'web-boot', 's1'),
    resource('v3', 'volume', 'lonely', 'someone-elses-server'),
    resource('s0', 'server', 'db'),
    resource('v4', 'volume', 'db-root', 's0'),
  ]);
  assert.deepEqual(shape(tree), ['home', { db: ['db-root'] }, { web: ['web-boot', 'web-data'] }, 'lonely']);
  assert.deepEqual(resourceTree([]), []);
});

test('a resource is protected by the enabled plans that name it or its server', () => {
  const server = resource('s1', 'server', 'web');
  const volume = resource('v1', 'volume', 'web-boot', 's1');
  const plans = [plan('on-server', ['s1']), plan('on-volume', ['v1']), plan('disabled', ['v1'], false), plan('other', ['x'])];
  assert.deepEqual(plansProtecting(volume, plans).map((p) => p.id), ['on-server', 'on-volume']);
  assert.deepEqual(plansProtecting(server, plans).map((p) => p.id), ['on-server']);
  assert.deepEqual(plansProtecting(resource('x2', 'fileset', 'home'), plans), []);
});
