/**
 * The signed-in console: who is signed in and in which tenant (header), where to go (nav), and the
 * page the URL names. Everything shown is one tenant's; someone in several tenants, or an operator,
 * picks which. An operation's, a resource's and a restore's pages show their item whatever tenant is
 * picked, since their links may come from anywhere; the API decides whether this user may see it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { AdminPages, isAdminRoute } from './admin-pages.tsx';
import { clientFor, type Client } from './client.ts';
import { DashboardPage } from './dashboard-page.tsx';
import { InfrastructureNav } from './infrastructure-nav.tsx';
import { infrastructurePage, INFRASTRUCTURE_TITLES } from './infrastructure-routes.tsx';
import { Link } from './link.tsx';
import { MembersPage } from './members-page.tsx';
import { OperationPage } from './operation-page.tsx';
import { OperationsPage } from './operations-page.tsx';
import { PlansPage } from './plans-page.tsx';
import { PoliciesPage } from './policies-page.tsx';
import { PolicyPage } from './policy-page.tsx';
import { ResourcePage } from './resource-page.tsx';
import { ResourcesPage } from './resources-page.tsx';
import { RestorePage } from './restore-page.tsx';
import { mayAct, type Role } from './role.ts';
import { routeOf, useLocation, type Route } from './router.ts';
import type { Session } from './session.ts';
import type { Me, Tenant } from './types.ts';
import { UsagePage } from './usage-page.tsx';

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
  // Bumped when an operator makes a tenant, to load the tenants again for the picker.
  const [whoRound, setWhoRound] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    Promise.all([client.get<Me>('/v1/me', abort.signal), client.list<Tenant>('/v1/tenants', abort.signal)])
      .then(([me, tenants]) => {
        setWho({ me, tenants });
        setTenantId((current) => current ?? me.tenants[0]?.tenantId ?? tenants[0]?.id);
      })
      .catch((err: unknown) => { if (!abort.signal.aborted) setError((err as Error).message); });
    return () => abort.abort();
  }, [client, whoRound]);

  const route = routeOf(useLocation().pathname);
  const tenant = who?.tenants.find((t) => t.id === tenantId);
  const role = who && roleIn(who.me, tenantId ?? null);

  // After a move to another page, focus goes to the page (as a page load would), for keyboards and
  // screen readers; not on the first render, where the browser's own start is right.
  const main = useRef<HTMLElement>(null);
  const firstPage = useRef(true);
  const title = TITLES[route.page];
  const pageKey = route.page === 'operation' || route.page === 'resource' || route.page === 'policy' || route.page === 'admin-host' || route.page === 'admin-bank' ? `${route.page} ${route.id ?? 'new'}` : route.page === 'restore' ? `restore ${route.checkpointId}` : route.page === 'admin-tenant' ? `tenant ${route.id}` : route.page;
  useEffect(() => {
    document.title = `${title} · Cairn`;
    if (firstPage.current) firstPage.current = false;
    else main.current?.focus();
  }, [title, pageKey]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <Link className="brand" to="/"><span className="brand-mark" aria-hidden="true">▲</span> Cairn</Link>
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
        <Link to="/" aria-current={route.page === 'dashboard' ? 'page' : undefined}>Dashboard</Link>
        <Link to="/resources" aria-current={route.page === 'resources' || route.page === 'resource' || route.page === 'restore' ? 'page' : undefined}>Resources</Link>
        <Link to="/plans" aria-current={route.page === 'plans' ? 'page' : undefined}>Plans</Link>
        <Link to="/policies" aria-current={route.page === 'policies' || route.page === 'policy' ? 'page' : undefined}>Policies</Link>
        <Link to="/operations" aria-current={route.page === 'operations' || route.page === 'operation' ? 'page' : undefined}>Operations</Link>
        {role === 'admin' && <Link to="/members" aria-current={route.page === 'members' ? 'page' : undefined}>Members</Link>}
        {who && !who.me.operator && <Link to="/usage" aria-current={route.page === 'usage' ? 'page' : undefined}>Usage</Link>}
        {who?.me.operator && (
          <div className="nav-group" role="group" aria-labelledby="admin-nav-title">
            <span className="nav-title" id="admin-nav-title">Administration</span>
            <Link to="/admin/tenants" aria-current={route.page === 'admin-tenants' || route.page === 'admin-tenant' ? 'page' : undefined}>Tenants</Link>
            <Link to="/admin/users" aria-current={route.page === 'admin-users' ? 'page' : undefined}>Users</Link>
            <InfrastructureNav route={route} />
            <Link to="/admin/usage" aria-current={route.page === 'admin-usage' ? 'page' : undefined}>Usage</Link>
          </div>
        )}
        <a href="/v1/docs" target="_blank" rel="noreferrer">API reference</a>
      </nav>
      <main id="main" className="content" tabIndex={-1} ref={main}>
        {error && <p className="error" role="alert">Cannot load your account: {error}</p>}
        {!error && !who && <p className="loading" role="status">Loading your account…</p>}
        {who && <Page route={route} client={client} who={who} tenant={tenant} canAct={mayAct(role)} onTenantsChanged={() => setWhoRound((r) => r + 1)} />}
      </main>
    </div>
  );
}

const TITLES: Record<Route['page'], string> = { dashboard: 'Dashboard', resources: 'Resources', resource: 'Checkpoints', restore: 'Restore', operations: 'Operations', operation: 'Operation', policies: 'Policies', policy: 'Policy', plans: 'Plans', 'not-found': 'Page not found',
  'admin-tenants': 'Tenants', 'admin-tenant': 'Tenant', 'admin-users': 'Users', 'admin-usage': 'Usage', members: 'Members', usage: 'Usage', ...INFRASTRUCTURE_TITLES };

function roleIn(me: Me, tenantId: string | null): Role | undefined {
  return me.tenants.find((t) => t.tenantId === tenantId)?.role ?? (me.operator ? 'operator' : undefined);
}

interface PageProps {
  route: Route;
  client: Client;
  who: Who;
  tenant: Tenant | undefined;
  canAct: boolean;
  onTenantsChanged: () => void;
}

function Page({ route, client, who, tenant, canAct, onTenantsChanged }: PageProps) {
  if (route.page === 'not-found') {
    return (
      <section aria-labelledby="not-found-title">
        <h1 id="not-found-title">Page not found</h1>
        <p>There is nothing at {location.pathname}. <Link to="/">Go to the dashboard</Link>.</p>
      </section>
    );
  }
  if (route.page === 'operation') {
    return <OperationPage key={route.id} client={client} id={route.id} mayAct={(t) => mayAct(roleIn(who.me, t))} />;
  }
  // Like an operation, a resource or a checkpoint is shown whatever tenant is picked: the API decides.
  if (route.page === 'resource') return <ResourcePage key={route.id} client={client} id={route.id} mayAct={(t) => mayAct(roleIn(who.me, t))} />;
  if (route.page === 'restore') return <RestorePage key={route.checkpointId} client={client} checkpointId={route.checkpointId} mayAct={(t) => mayAct(roleIn(who.me, t))} />;
  // Administration is no tenant's: an operator reaches it on a server with none yet.
  if (isAdminRoute(route)) return <AdminPages route={route} client={client} me={who.me} onTenantsChanged={onTenantsChanged} />;
  const infrastructure = infrastructurePage(route, client, who.me.operator);
  if (infrastructure) return infrastructure;
  if (!tenant) {
    return (
      <section className="empty" aria-labelledby="no-tenant-title">
        <h1 id="no-tenant-title">No tenant yet</h1>
        <p>{who.me.operator
          ? <>There is no tenant on this server. Create one on <Link to="/admin/tenants">Administration › Tenants</Link> (or with POST /v1/tenants), then add users to it.</>
          : 'Your account belongs to no tenant. Ask an operator to add you to one.'}</p>
      </section>
    );
  }
  if (route.page === 'resources') return <ResourcesPage key={tenant.id} client={client} tenant={tenant} canAct={canAct} />;
  if (route.page === 'operations') return <OperationsPage key={tenant.id} client={client} tenant={tenant} />;
  if (route.page === 'policies') return <PoliciesPage key={tenant.id} client={client} tenant={tenant} canAct={canAct} />;
  if (route.page === 'policy') {
    return <PolicyPage key={`${tenant.id} ${route.id ?? 'new'}`} client={client} id={route.id} tenant={tenant} mayAct={(t) => mayAct(roleIn(who.me, t))} operator={who.me.operator} />;
  }
  if (route.page === 'plans') return <PlansPage key={tenant.id} client={client} tenant={tenant} canAct={canAct} />;
  if (route.page === 'members') {
    const manage = who.me.operator || roleIn(who.me, tenant.id) === 'admin';
    return <MembersPage key={tenant.id} client={client} tenant={tenant} canManage={manage} operator={who.me.operator} meId={who.me.userId} />;
  }
  if (route.page === 'usage') return <UsagePage key={tenant.id} client={client} tenant={tenant} />;
  return <DashboardPage key={tenant.id} client={client} tenant={tenant} />;
}
