/**
 * The picked tenant's members and quota, for everyone in it: its admins (and operators) add an
 * account by its username, change roles and remove members; others read.
 */
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { QuotaCard } from './quota-card.tsx';
import { TenantMembers } from './tenant-members.tsx';
import type { Tenant } from './types.ts';

interface Props {
  client: Client;
  tenant: Tenant;
  canManage: boolean;
  operator: boolean;
  meId: string;
}

export function MembersPage({ client, tenant, canManage, operator, meId }: Props) {
  return (
    <>
      <h1>Members</h1>
      <p className="muted">
        Who belongs to {tenant.name} and what each may do.
        {operator && <> To pick from every account, or set the quota, use <Link to={`/admin/tenants/${encodeURIComponent(tenant.id)}`}>the tenant's administration page</Link>.</>}
      </p>
      <TenantMembers client={client} tenantId={tenant.id} tenantName={tenant.name} canManage={canManage} users={undefined} meId={meId} />
      <QuotaCard client={client} tenantId={tenant.id} canSet={false} />
    </>
  );
}
