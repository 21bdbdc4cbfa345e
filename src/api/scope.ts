/**
 * Who may see and do what, decided here and nowhere else. Operators run the service and see every
 * tenant. A tenant's members see it: viewers read, members also act (back up, restore), admins also
 * manage its members. Another tenant's objects answer 404, never 403, so their existence does not leak.
 */
import type { FastifyRequest } from 'fastify';
import type { TenantRole } from '../catalog/schema.ts';
import { principal } from './auth.ts';
import { HttpProblem } from './problem.ts';

const rank: Record<TenantRole, number> = { viewer: 1, member: 2, admin: 3 };

export function requireOperator(request: FastifyRequest): void {
  if (!principal(request).operator) throw new HttpProblem(403, 'only an operator may do this');
}

/** The tenants a request may see: undefined for an operator (all of them). */
export function visibleTenants(request: FastifyRequest): string[] | undefined {
  const p = principal(request);
  return p.operator ? undefined : p.tenants.map((t) => t.tenantId);
}

/**
 * Checks the request may act on `tenantId` with at least `role`. Not a member: 404 as if the object
 * did not exist (`what` names it in the message). A member with a lesser role: 403. Something owned
 * by no tenant (null) is the operators' alone.
 */
export function requireTenantRole(request: FastifyRequest, tenantId: string | null, role: TenantRole, what: string): void {
  const p = principal(request);
  if (p.operator) return;
  const membership = tenantId === null ? undefined : p.tenants.find((t) => t.tenantId === tenantId);
  if (!membership) throw new HttpProblem(404, `there is no ${what}`);
  if (rank[membership.role] < rank[role]) throw new HttpProblem(403, `your role in this tenant is ${membership.role}; this needs ${role}`);
}

/**
 * The tenant a new object goes to: the one named (checked for `role`), else the caller's only tenant.
 * Operators name one (or none: `undefined`, for what belongs to the service, like an offering).
 */
export function targetTenant(request: FastifyRequest, named: string | undefined, role: TenantRole): string | undefined {
  const p = principal(request);
  if (named !== undefined) {
    requireTenantRole(request, named, role, `tenant ${named}`);
    return named;
  }
  if (p.operator) return undefined;
  if (p.tenants.length !== 1) throw new HttpProblem(400, `you belong to ${p.tenants.length} tenants: say which one with tenantId`);
  requireTenantRole(request, p.tenants[0]!.tenantId, role, 'tenant');
  return p.tenants[0]!.tenantId;
}
