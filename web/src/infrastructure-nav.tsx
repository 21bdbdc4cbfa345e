/** Operators' links to the infrastructure pages, inside the nav's Administration group (shown to operators only). */
import { Link } from './link.tsx';
import type { Route } from './router.ts';

const current = (on: boolean) => (on ? 'page' as const : undefined);

export function InfrastructureNav({ route }: { route: Route }) {
  return (
    <>
      <Link to="/admin/sites" aria-current={current(route.page === 'admin-sites' || route.page === 'admin-host' || route.page === 'admin-bank')}>Sites</Link>
      <Link to="/admin/offerings" aria-current={current(route.page === 'admin-offerings' || route.page === 'admin-offering-new')}>Offerings</Link>
    </>
  );
}
