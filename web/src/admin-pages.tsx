/**
 * The Administration pages, operators' alone: every tenant, one tenant's members and quota, the user
 * accounts, and every tenant's usage. Anyone else who opens one of their URLs gets "for operators
 * only" and nothing is loaded (the API would answer 403 anyway).
 */
import type { Client } from './client.ts';
import { OperatorsOnly } from './operators-only.tsx';
import type { Route } from './router.ts';
import { TenantPage } from './tenant-page.tsx';
import { TenantsPage } from './tenants-page.tsx';
import type { Me } from './types.ts';
import { UsagePage } from './usage-page.tsx';
import { UsersPage } from './users-page.tsx';

export type AdminRoute = Extract<Route, { page: 'admin-tenants' | 'admin-tenant' | 'admin-users' | 'admin-usage' }>;

const ADMIN_PAGES = new Set<Route['page']>(['admin-tenants', 'admin-tenant', 'admin-users', 'admin-usage']);
export const isAdminRoute = (route: Route): route is AdminRoute => ADMIN_PAGES.has(route.page);

interface Props {
  route: AdminRoute;
  client: Client;
  me: Me;
  /** Tells the console that tenants changed (one was made), so its tenant picker shows them. */
  onTenantsChanged: () => void;
}

export function AdminPages({ route, client, me, onTenantsChanged }: Props) {
  if (!me.operator) return <OperatorsOnly what={route.page === 'admin-users' ? 'User accounts' : route.page === 'admin-usage' ? 'Every tenant\'s usage figures' : 'Tenants and their quotas'} />;
  if (route.page === 'admin-tenants') return <TenantsPage client={client} onCreated={onTenantsChanged} />;
  if (route.page === 'admin-tenant') return <TenantPage key={route.id} client={client} id={route.id} meId={me.userId} />;
  if (route.page === 'admin-users') return <UsersPage client={client} />;
  return <UsagePage client={client} />;
}
