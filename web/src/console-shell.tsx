/**
 * The signed-in console: who is signed in and in which tenant (header), where to go (nav), and the
 * page. Everything shown is one tenant's; someone in several tenants, or an operator, picks which.
 */
import { useEffect, useMemo, useState } from 'react';
import { clientFor, type Client } from './client.ts';
import { DashboardPage } from './dashboard-page.tsx';
import type { Session } from './session.ts';
import type { Me, Tenant } from './types.ts';

interface Props {
  session: Session;
  onExpired: () => void;
  onSignOut: () => Promise<void>;
}

interface Who {
  me: Me;
  tenants: Tenant[];
}

export function ConsoleShell({ session, onExpired, onSignOut }: Props) {
  const client = useMemo(() => clientFor(session, onExpired), [session, onExpired]);
  const [who, setWho] = useState<Who | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tenantId, setTenantId] = useState<string | undefined>();
  const [leaving, setLeaving] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    Promise.all([client.get<Me>('/v1/me', abort.signal), client.list<Tenant>('/v1/tenants', abort.signal)])
      .then(([me, tenants]) => {
        setWho({ me, tenants });
        setTenantId((current) => current ?? me.tenants[0]?.tenantId ?? tenants[0]?.id);
      })
      .catch((err: unknown) => { if (!abort.signal.aborted) setError((err as Error).message); });
    return () => abort.abort();
  }, [client]);

  const tenant = who?.tenants.find((t) => t.id === tenantId);
  const role = who?.me.tenants.find((t) => t.tenantId === tenantId)?.role ?? (who?.me.operator ? 'operator' : undefined);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <a className="brand" href="/"><span className="brand-mark" aria-hidden="true">▲</span> Cairn</a>
        {who && who.tenants.length > 1 && (
          <label className="tenant-picker">
            <span>Tenant</span>
            <select value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
              {who.tenants.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
          </label>
        )}
        {who && who.tenants.length === 1 && tenant && <span className="tenant-name" aria-label="Tenant">{tenant.name}</span>}
        <span className="spacer" />
        {who && (
          <span className="user" aria-label="Signed in as">
            {who.me.username}{role && <span className="role">{role}</span>}
          </span>
        )}
        <button type="button" className="quiet" disabled={leaving} onClick={() => { setLeaving(true); void onSignOut(); }}>
          {leaving ? 'Signing out…' : 'Sign out'}
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <a href="/" aria-current={location.pathname === '/' ? 'page' : undefined}>Dashboard</a>
        <a href="/v1/docs" target="_blank" rel="noreferrer">API reference</a>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {error && <p className="error" role="alert">Cannot load your account: {error}</p>}
        {!error && !who && <p className="loading" role="status">Loading your account…</p>}
        {who && <Page client={client} who={who} tenant={tenant} />}
      </main>
    </div>
  );
}

function Page({ client, who, tenant }: { client: Client; who: Who; tenant: Tenant | undefined }) {
  if (location.pathname !== '/') {
    return (
      <section aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p>There is nothing at {location.pathname}. <a href="/">Go to the dashboard</a>.</p>
      </section>
    );
  }
  if (!tenant) {
    return (
      <section className="empty" aria-labelledby="no-tenant-title">
        <h1 id="no-tenant-title">No tenant yet</h1>
        <p>{who.me.operator
          ? 'There is no tenant on this server. Create one with POST /v1/tenants (see the API reference), then add users to it.'
          : 'Your account belongs to no tenant. Ask an operator to add you to one.'}</p>
      </section>
    );
  }
  return <DashboardPage key={tenant.id} client={client} tenant={tenant} />;
}
