/**
 * Resources as the tree they form: servers with their volumes under them (a volume's parentId names
 * its server), and what has no parent (a volume of a directory of volumes, a file set) at the top.
 * A resource whose parent is not in the list (another tenant's server, say) is shown at the top too,
 * rather than hidden. Siblings sort by type, then name, so that the tree reads the same every time.
 */
import type { Resource } from './types.ts';

export interface ResourceNode {
  resource: Resource;
  children: ResourceNode[];
}

export function resourceTree(resources: Resource[]): ResourceNode[] {
  const nodes = new Map(resources.map((r) => [r.id, { resource: r, children: [] as ResourceNode[] }]));
  const roots: ResourceNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.resource.parentId === null ? undefined : nodes.get(node.resource.parentId);
    (parent ? parent.children : roots).push(node);
  }
  const order = (a: ResourceNode, b: ResourceNode) =>
    a.resource.type.localeCompare(b.resource.type) || a.resource.name.localeCompare(b.resource.name);
  const sort = (list: ResourceNode[]): ResourceNode[] => {
    list.sort(order);
    for (const n of list) sort(n.children);
    return list;
  };
  return sort(roots);
}
