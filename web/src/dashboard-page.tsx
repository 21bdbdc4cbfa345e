/**
 * A tenant's dashboard: how much of what it owns is protected, which plans miss their recovery point
 * objective, the storage its checkpoints use over time, and the latest operations with their progress.
 * Operations refresh every 2 s while one is queued or running, so progress moves; the rest every 30 s
 * (the storage every minute).
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { OperationsTable } from './operations-table.tsx';
import { summarize, type ProtectionSummary } from './protection-summary.ts';
import { StorageUsage } from './usage-chart.tsx';
import { ownedBy, type Operation, type Plan, type Resource, type Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

const RECENT = 10;
const active = (ops: Operation[] | undefined) => ops?.some((o) => o.state === 'queued' || o.state === 'running') ?? false;
const operationsDelay = (ops: Operation[] | undefined) => (active(ops) ? 2_000 : 10_000);
const summaryDelay = () => 30_000;

export function DashboardPage({ client, tenant }: { client: Client; tenant: Tenant }) {
  const loadSummary = useCallback(async (signal: AbortSignal): Promise<ProtectionSummary> => {
    const mine = ownedBy(tenant.id);
    const [resources, plans, late] = await Promise.all([
      client.list<Resource>('/v1/resources', signal),
      client.list<Plan>('/v1/plans', signal),
      client.list<Plan>('/v1/plans?outOfRpo=true', signal),
    ]);
    return summarize(mine(resources), mine(plans), mine(late));
  }, [client, tenant.id]);
  const loadOperations = useCallback(async (signal: AbortSignal): Promise<Operation[]> => {
    const page = await client.get<{ items: Operation[] }>(`/v1/operations?order=newest&limit=${RECENT}&tenantId=${encodeURIComponent(tenant.id)}`, signal);
    return page.items;
  }, [client, tenant.id]);
  const summary = usePoll(loadSummary, summaryDelay);
  const operations = usePoll(loadOperations, operationsDelay);

  return (
    <>
      <h1>Dashboard</h1>
      <p className="muted">Protection of {tenant.name} at a glance.</p>
      {summary.error && <p className="error" role="alert">Cannot refresh the summary: {summary.error.message}</p>}
      <div className="cards">
        <section className="card" aria-labelledby="resources-title" aria-busy={!summary.data}>
          <h2 id="resources-title">Resources</h2>
          {!summary.data ? <p className="loading">Loading…</p> : <ResourceCounts summary={summary.data} />}
        </section>
        <section className="card" aria-labelledby="rpo-title" aria-busy={!summary.data}>
          <h2 id="rpo-title">Plans out of RPO</h2>
          {!summary.data ? <p className="loading">Loading…</p> : <OutOfRpo summary={summary.data} />}
        </section>
      </div>
      <StorageUsage client={client} tenant={tenant} />
      <section className="card" aria-labelledby="operations-title" aria-busy={!operations.data}>
        <div className="card-head">
          <h2 id="operations-title">Recent operations</h2>
          {operations.updatedAt && (
            <span className="muted small" aria-live="off">
              {active(operations.data) ? 'Live, ' : ''}updated {operations.updatedAt.toLocaleTimeString()}
            </span>
          )}
        </div>
        {operations.error && <p className="error" role="alert">Cannot refresh the operations: {operations.error.message}</p>}
        {!operations.data && !operations.error && <p className="loading">Loading…</p>}
        {operations.data && operations.data.length === 0 && (
          <p className="empty-note">No operations yet. Backups, restores and verifications show here as they run.</p>
        )}
        {operations.data && operations.data.length > 0 && <OperationsTable operations={operations.data} />}
      </section>
    </>
  );
}

function ResourceCounts({ summary }: { summary: ProtectionSummary }) {
  const total = summary.protectedCount + summary.unprotectedCount;
  if (total === 0) {
    return <p className="empty-note">No resources yet. An operator registers your hosts; their volumes, servers and file sets then show here.</p>;
  }
  return (
    <>
      <dl className="figures">
        <div><dt>Protected</dt><dd data-testid="protected-count">{summary.protectedCount}</dd></div>
        <div><dt>Unprotected</dt><dd data-testid="unprotected-count" className={summary.unprotectedCount ? 'warn' : undefined}>{summary.unprotectedCount}</dd></div>
      </dl>
      <div className="meter" role="img" aria-label={`${summary.protectedCount} of ${total} resources protected`}>
        <span style={{ width: `${(100 * summary.protectedCount) / total}%` }} />
      </div>
    </>
  );
}

function OutOfRpo({ summary }: { summary: ProtectionSummary }) {
  if (summary.plans === 0) return <p className="empty-note">No plans yet. A plan backs up resources on a policy's schedule.</p>;
  if (summary.outOfRpo.length === 0) {
    return <p className="ok-note"><span data-testid="out-of-rpo-count" className="big">0</span> All {summary.plans} plan{summary.plans === 1 ? ' keeps its' : 's keep their'} recovery point objective.</p>;
  }
  return (
    <>
      <p><span data-testid="out-of-rpo-count" className="big warn">{summary.outOfRpo.length}</span> of {summary.plans} plans lack a recent enough checkpoint:</p>
      <ul className="plain">{summary.outOfRpo.map((p) => <li key={p.id}>{p.name}{p.enabled ? '' : ' (disabled)'}</li>)}</ul>
    </>
  );
}
