/**
 * A new offering (/admin/offerings/new): the policy form, posted without a tenant, which the API
 * takes from an operator as an offering. Once made it is edited on its policy page, like any policy.
 */
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { PolicyForm } from './policy-form.tsx';
import { navigate } from './router.ts';

export function NewOfferingPage({ client }: { client: Client }) {
  return (
    <>
      <p className="breadcrumb"><Link to="/admin/offerings">Offerings</Link> ›</p>
      <h1>New offering</h1>
      <p className="muted">A policy every tenant's plans may use; only operators change it.</p>
      <PolicyForm client={client} tenantId={null} canEdit onSaved={(p) => navigate(`/policies/${encodeURIComponent(p.id)}`, { replace: true })} />
    </>
  );
}
