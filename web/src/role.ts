/**
 * What the signed-in user may do in the tenant shown, as src/api/scope.ts decides it: viewers read,
 * members and admins also act (back up, cancel, restore), operators may do everything. The API still
 * checks every call; the console only hides the buttons that would be refused.
 */
import type { TenantRole } from './types.ts';

export type Role = TenantRole | 'operator';

export function mayAct(role: Role | undefined): boolean {
  return role === 'member' || role === 'admin' || role === 'operator';
}

/** A tenant's roles, least first, each with what it adds: the choices where members are managed. */
export const ROLES: { role: TenantRole; says: string }[] = [
  { role: 'viewer', says: 'viewer: reads' },
  { role: 'member', says: 'member: also backs up and restores' },
  { role: 'admin', says: 'admin: also manages members' },
];
