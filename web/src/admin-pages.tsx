/**
 * The Administration pages, operators' alone: every tenant, one tenant's members and quota, the user
 * accounts, and every tenant's usage. Anyone else who opens one of their URLs gets "for operators
 * only" and nothing is loaded (the API would answer 403 anyway).
 */
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import type { Route } from './router.ts';
import { TenantPage } from './tenant-page.tsx';
import { TenantsPage } from './tenants-page.tsx';
import type { Me } from './types.ts';
import { UsagePage } from './usage-page.tsx';
import { UsersPage } from './users-page.tsx';

export type AdminRoute = Extract<Route, { page: 'admin-tenants' | 'admin-tenant' | 'admin-users' | 'admin-usage' }>;

export const isAdminRoute = (route: Route): route is AdminRoute => route.page.startsWith('admin-');

interface Props {
  route: AdminRoute;
  client: Client;
  me: Me;
  /** Tells the console that tenants changed (one was made), so its tenant picker shows them. */
  onTenantsChanged: () => void;
}

export function AdminPages({ route, client, me, onTenantsChanged }: Props) {
  if (!me.operator) return <OperatorsOnly />;
  if (route.page === 'admin-tenants') return <TenantsPage client={client} onCreated={onTenantsChanged} />;
  if (route.page === 'admin-tenant') return <TenantPage key={route.id} client={client} id={route.id} meId={me.userId} />;
  if (route.page === 'admin-users') return <UsersPage client={client} />;
  return <UsagePage client={client} />;
}

function OperatorsOnly() {
  return (
    <section aria-labelledby="operators-only-title">
      <h1 id="operators-only-title">For operators only</h1>
      <p className="error" role="alert">This page is for the operators who run this Cairn server. Your account is not an operator's, so there is nothing here for you.</p>
      <p><Link to="/">Go to the dashboard</Link></p>
    </section>
  );
}
