/**
 * One host for operators (/admin/hosts/{id}): what it is, its health (discovery, agent), the operations
 * running there; discover now, set how many operations may run at once, and give a host whose agent
 * is gone back to the servers. Refreshed every 10 s, so "agent seen … ago" stays true.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { DiscoverButton } from './discover-button.tsx';
import { formatAgo, formatTime } from './format.ts';
import { HealthBadge } from './health-badge.tsx';
import { agentGone, hostHealth, type Host } from './infrastructure.ts';
import { loadInfrastructure, nameOf, type Infrastructure } from './infrastructure-data.ts';
import { Link } from './link.tsx';
import { MaxOperationsForm } from './max-operations-form.tsx';
import { NotFound } from './not-found.tsx';
import { OperatorsOnly, refusedToOperators } from './operators-only.tsx';
import { usePoll } from './use-poll.ts';

const refreshDelay = () => 10_000;

export function HostPage({ client, id }: { client: Client; id: string }) {
  const load = useCallback((signal: AbortSignal) => loadInfrastructure(client, signal, false), [client]);
  const { data, error, updatedAt, refresh } = usePoll(load, refreshDelay);
  const host = data?.hosts.find((h) => h.id === id);
  if (refusedToOperators(error)) return <OperatorsOnly what="Hosts" />;
  if (data && !host) return <NotFound what="Host" id={id} back={{ to: '/admin/sites', label: 'See the sites' }} />;
  const now = updatedAt?.getTime() ?? 0;
  const path = `/v1/hosts/${encodeURIComponent(id)}`;
  return (
    <>
      <p className="breadcrumb"><Link to="/admin/sites">Sites</Link> ›</p>
      <h1>{host ? host.name : 'Host'} {host && <HealthBadge health={hostHealth(host, now)} />}</h1>
      {error && <p className="error" role="alert">Cannot {data ? 'refresh' : 'load'} the host: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {host && data && (
        <>
          <section className="card" aria-labelledby="host-facts-title">
            <h2 id="host-facts-title">Host</h2>
            <HostFacts host={host} data={data} now={now} />
            <DiscoverButton client={client} hostId={host.id} onDone={refresh} />
          </section>
          <section className="card" aria-labelledby="host-limit-title">
            <h2 id="host-limit-title">Concurrency</h2>
            <MaxOperationsForm key={String(host.maxOperations)} client={client} path={path} what="host" current={host.maxOperations} onSaved={refresh} />
          </section>
          {host.agentSeenAt && <AgentCard client={client} host={host} now={now} path={path} onReleased={refresh} />}
        </>
      )}
    </>
  );
}

function HostFacts({ host, data, now }: { host: Host; data: Infrastructure; now: number }) {
  return (
    <dl className="facts">
      <div><dt>Kind</dt><dd>{host.kind}</dd></div>
      <div><dt>Location</dt><dd className="mono small">{host.location}</dd></div>
      <div><dt>Site</dt><dd>{nameOf(data.sites, host.siteId) ?? host.siteId}</dd></div>
      <div><dt>Tenant</dt><dd>{nameOf(data.tenants, host.tenantId) ?? <span className="muted">none</span>}</dd></div>
      <div><dt>Discovered</dt><dd>{host.discoveredAt ? formatTime(host.discoveredAt) : 'never'}</dd></div>
      <div><dt>Agent</dt><dd>{agentWords(host, now)}</dd></div>
      <div><dt>Running now</dt><dd>{host.runningOperations}{host.maxOperations === null ? ' (no limit)' : ` of at most ${host.maxOperations}`}</dd></div>
      <div><dt>Registered</dt><dd>{formatTime(host.createdAt)}</dd></div>
      {host.discoveryError && <div><dt>Last discovery error</dt><dd className="error-text">{host.discoveryError}</dd></div>}
    </dl>
  );
}

function agentWords(host: Host, now: number): string {
  if (!host.agentSeenAt) return 'none: served by the servers';
  return agentGone(host, now) ? `gone: last seen ${formatAgo(host.agentSeenAt, now)}` : `agent seen ${formatAgo(host.agentSeenAt, now)}`;
}

function AgentCard({ client, host, now, path, onReleased }: { client: Client; host: Host; now: number; path: string; onReleased: () => void }) {
  return (
    <section className="card" aria-labelledby="host-agent-title">
      <h2 id="host-agent-title">Agent</h2>
      <p>
        An agent (cairn worker --host {host.name}) runs this host's operations.
        {agentGone(host, now) ? ' It has not been heard from for over 90 s: its operations wait.' : ' It was heard from lately.'}
        {' '}Once it is stopped for good, give the host back to the servers: its waiting operations then run there.
      </p>
      <ConfirmButton
        label="Release from the agent…" yes="Release the host" no="Keep the agent" failure="Cannot release the host"
        question={<>Give {host.name} back to the servers and plain workers? An agent that comes back claims it again.</>}
        action={async () => { await client.patch(path, { agent: false }); onReleased(); }}
      />
    </section>
  );
}
