/**
 * Operators' view of where Cairn runs (/admin/sites): each site with its hosts and banks and their
 * health, refreshed every 15 s so that an agent's last beat and a bank's reachability stay current.
 * Operators create a site and register a host here; a host's and a bank's own pages hold the rest.
 */
import { useCallback, useState, type ReactNode } from 'react';
import type { Client } from './client.ts';
import { HostForm } from './host-form.tsx';
import { loadInfrastructure } from './infrastructure-data.ts';
import { OperatorsOnly, refusedToOperators } from './operators-only.tsx';
import { SiteCard } from './site-card.tsx';
import { SiteForm } from './site-form.tsx';
import { usePoll } from './use-poll.ts';

const refreshDelay = () => 15_000;

export function SitesPage({ client }: { client: Client }) {
  const load = useCallback((signal: AbortSignal) => loadInfrastructure(client, signal), [client]);
  const { data, error, updatedAt, refresh } = usePoll(load, refreshDelay);
  const [adding, setAdding] = useState<'site' | 'host' | undefined>();
  if (refusedToOperators(error)) return <OperatorsOnly what="Sites, hosts and banks" />;
  const done = () => { setAdding(undefined); refresh(); };

  return (
    <>
      <div className="card-head">
        <h1>Sites</h1>
        {!adding && (
          <span className="head-actions">
            <button type="button" className="quiet" onClick={() => setAdding('site')}>New site</button>
            {/* Always there, so that nothing moves under the pointer when the sites arrive; a host needs a site. */}
            <button type="button" disabled={!data?.sites.length} title={data?.sites.length === 0 ? 'Create a site first' : undefined} onClick={() => setAdding('host')}>Register a host</button>
          </span>
        )}
      </div>
      <p className="muted">
        Where Cairn runs: each site's hosts, whose resources are backed up, and banks, which hold the checkpoints.
        {updatedAt && <> Updated {updatedAt.toLocaleTimeString()}.</>}
      </p>
      {error && <p className="error" role="alert">Cannot {data ? 'refresh' : 'load'} the sites: {error.message}</p>}
      {adding === 'site' && <FormCard title="New site" onClose={() => setAdding(undefined)}><SiteForm client={client} onCreated={done} /></FormCard>}
      {adding === 'host' && data && (
        <FormCard title="Register a host" onClose={() => setAdding(undefined)}>
          <HostForm client={client} sites={data.sites} tenants={data.tenants} onCreated={done} />
        </FormCard>
      )}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {data?.sites.length === 0 && <p className="empty-note">No sites yet. Create one with New site, then attach a bank (POST /v1/banks) and register hosts.</p>}
      {data?.sites.map((s) => <SiteCard key={s.id} site={s} data={data} now={updatedAt?.getTime() ?? 0} />)}
    </>
  );
}

function FormCard({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const id = `${title.replace(/\W+/g, '-').toLowerCase()}-title`;
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        <button type="button" className="quiet" onClick={onClose}>Close</button>
      </div>
      {children}
    </section>
  );
}
