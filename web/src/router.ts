/**
 * Client-side navigation, kept tiny: the URL is the state (history.pushState), so a page, its filters
 * and an operation's detail survive a reload and can be shared as a link; the server answers index.html
 * for any path outside /v1. Pages read the location with useLocation and move with navigate or Link.
 */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    removeEventListener('popstate', listener);
  };
}

/** Path and query, as one string, so that the snapshot compares by value and renders only on a change. */
const snapshot = () => location.pathname + location.search;

export function useLocation(): URL {
  return new URL(useSyncExternalStore(subscribe, snapshot), location.origin);
}

/** Goes to `to` (a path with its query); `replace` for a change that is not a step back can undo, like a filter. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

export type Route =
  | { page: 'dashboard' }
  | { page: 'resources' }
  | { page: 'resource'; id: string }
  | { page: 'restore'; checkpointId: string }
  | { page: 'operations' }
  | { page: 'operation'; id: string }
  | { page: 'policies' }
  /** id undefined: a new policy. */
  | { page: 'policy'; id: string | undefined }
  | { page: 'plans' }
  /** Administration (operators only): every tenant, one tenant's members and quota, user accounts, usage of all tenants. */
  | { page: 'admin-tenants' }
  | { page: 'admin-tenant'; id: string }
  | { page: 'admin-users' }
  | { page: 'admin-usage' }
  /** The picked tenant's members (its admins manage them) and its usage. */
  | { page: 'members' }
  | { page: 'usage' }
  // Operators' infrastructure pages (infrastructure-routes.tsx).
  | { page: 'admin-sites' }
  | { page: 'admin-host'; id: string }
  | { page: 'admin-bank'; id: string }
  | { page: 'admin-offerings' }
  | { page: 'admin-offering-new' }
  | { page: 'not-found' };

export function routeOf(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { page: 'dashboard' };
  if (path === '/resources') return { page: 'resources' };
  if (path === '/operations') return { page: 'operations' };
  if (path === '/policies') return { page: 'policies' };
  if (path === '/policies/new') return { page: 'policy', id: undefined };
  if (path === '/plans') return { page: 'plans' };
  const policy = /^\/policies\/([^/]+)$/.exec(path);
  if (policy) return { page: 'policy', id: decodeURIComponent(policy[1]!) };
  const op = /^\/operations\/([^/]+)$/.exec(path);
  if (op) return { page: 'operation', id: decodeURIComponent(op[1]!) };
  const resource = /^\/resources\/([^/]+)$/.exec(path);
  if (resource) return { page: 'resource', id: decodeURIComponent(resource[1]!) };
  const restore = /^\/checkpoints\/([^/]+)\/restore$/.exec(path);
  if (restore) return { page: 'restore', checkpointId: decodeURIComponent(restore[1]!) };
  if (path === '/admin/tenants') return { page: 'admin-tenants' };
  if (path === '/admin/users') return { page: 'admin-users' };
  if (path === '/admin/usage') return { page: 'admin-usage' };
  const adminTenant = /^\/admin\/tenants\/([^/]+)$/.exec(path);
  if (adminTenant) return { page: 'admin-tenant', id: decodeURIComponent(adminTenant[1]!) };
  if (path === '/members') return { page: 'members' };
  if (path === '/usage') return { page: 'usage' };
  const infrastructure = infrastructureRoute(path);
  if (infrastructure) return infrastructure;
  return { page: 'not-found' };
}

function infrastructureRoute(path: string): Route | undefined {
  if (path === '/admin/sites') return { page: 'admin-sites' };
  if (path === '/admin/offerings') return { page: 'admin-offerings' };
  if (path === '/admin/offerings/new') return { page: 'admin-offering-new' };
  const item = /^\/admin\/(hosts|banks)\/([^/]+)$/.exec(path);
  if (item) return { page: item[1] === 'hosts' ? 'admin-host' : 'admin-bank', id: decodeURIComponent(item[2]!) };
  return undefined;
}
