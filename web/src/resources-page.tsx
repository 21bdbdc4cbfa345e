/**
 * A tenant's resources as a tree (servers with their volumes, directories of volumes, file sets), each
 * with whether an enabled plan protects it and its latest checkpoint, and a link to all its checkpoints;
 * members back one up from here.
 * The latest checkpoints are the API's: GET /v1/checkpoints?latest=true&tenantId=, the newest of each
 * of the tenant's resources (whatever its status), one row per resource however many checkpoints it has.
 */
import { useCallback } from 'react';
import { AddToPlan } from './add-to-plan.tsx';
import { BackUpButton } from './back-up-button.tsx';
import type { Client } from './client.ts';
import { formatBytes, formatTime } from './format.ts';
import { Link } from './link.tsx';
import { plansProtecting } from './protection-summary.ts';
import { resourceTree, type ResourceNode } from './resource-tree.ts';
import { ownedBy, type Checkpoint, type Plan, type Resource, type Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Inventory {
  tree: ResourceNode[];
  plans: Plan[];
  latest: Map<string, Checkpoint>;
}

const TYPE_NAMES: Record<string, string> = { server: 'Server', volume: 'Volume', fileset: 'File set', database: 'Database' };
const refreshDelay = () => 15_000;

export function ResourcesPage({ client, tenant, canAct }: { client: Client; tenant: Tenant; canAct: boolean }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Inventory> => {
    const mine = ownedBy(tenant.id);
    const [resources, plans, checkpoints] = await Promise.all([
      client.list<Resource>('/v1/resources', signal),
      client.list<Plan>('/v1/plans', signal),
      client.list<Checkpoint>(`/v1/checkpoints?latest=true&tenantId=${encodeURIComponent(tenant.id)}`, signal),
    ]);
    const latest = new Map(checkpoints.map((c) => [c.resourceId!, c]));
    return { tree: resourceTree(mine(resources)), plans: mine(plans), latest };
  }, [client, tenant.id]);
  const inventory = usePoll(load, refreshDelay);

  return (
    <>
      <h1>Resources</h1>
      <p className="muted">What {tenant.name} owns, and how it is protected.</p>
      {inventory.error && <p className="error" role="alert">Cannot load the resources: {inventory.error.message}</p>}
      <section className="card" aria-labelledby="tree-title" aria-busy={!inventory.data}>
        <h2 id="tree-title">Servers, volumes and file sets</h2>
        {!inventory.data && !inventory.error && <p className="loading">Loading…</p>}
        {inventory.data && inventory.data.tree.length === 0 && (
          <p className="empty-note">No resources yet. An operator registers your hosts; their servers, volumes and file sets then show here.</p>
        )}
        {inventory.data && inventory.data.tree.length > 0 && (
          <ul className="resource-tree" aria-label="Resources">
            {inventory.data.tree.map((n) => <ResourceItem key={n.resource.id} node={n} inventory={inventory.data!} client={client} canAct={canAct} onChanged={inventory.refresh} />)}
          </ul>
        )}
      </section>
    </>
  );
}

function ResourceItem({ node, inventory, client, canAct, onChanged }: { node: ResourceNode; inventory: Inventory; client: Client; canAct: boolean; onChanged: () => void }) {
  const r = node.resource;
  const protecting = plansProtecting(r, inventory.plans);
  const last = inventory.latest.get(r.id);
  const nameId = `resource-${r.id}`;
  return (
    <li data-resource-id={r.id}>
      <div className="resource-row">
        <div className="resource-name">
          <Link id={nameId} className="name" to={`/resources/${encodeURIComponent(r.id)}`} title="its checkpoints">{r.name}</Link>
          <span className="tag">{TYPE_NAMES[r.type] ?? r.type}</span>
          {r.sizeBytes !== null && <span className="muted small">{formatBytes(r.sizeBytes)}</span>}
          {r.missingSince && <span className="tag warn">gone since {formatTime(r.missingSince)}</span>}
        </div>
        <div className="resource-protection">
          {protecting.length > 0
            ? <span className="protected" title="in an enabled plan">Protected by {protecting.map((p) => p.name).join(', ')}</span>
            : <span className="unprotected">Unprotected</span>}
        </div>
        <div className="resource-last small">
          {last
            ? <>Last checkpoint {formatTime(last.completedAt ?? last.createdAt)} <span className={`state checkpoint-${last.status}`}>{last.status}</span></>
            : <span className="muted">No checkpoint yet</span>}
        </div>
        {canAct && !r.missingSince && <BackUpButton client={client} resourceId={r.id} describedBy={nameId} />}
        {canAct && !r.missingSince && <AddToPlan client={client} resourceId={r.id} plans={inventory.plans} describedBy={nameId} onAdded={onChanged} />}
      </div>
      {node.children.length > 0 && (
        <ul aria-label={`Volumes of ${r.name}`}>
          {node.children.map((c) => <ResourceItem key={c.resource.id} node={c} inventory={inventory} client={client} canAct={canAct} onChanged={onChanged} />)}
        </ul>
      )}
    </li>
  );
}
