/**
 * What the dashboard counts. A resource is protected when an enabled plan names it, or names the
 * server it belongs to (a plan on a server backs up all its volumes). Resources a discovery no longer
 * finds are left out: there is nothing left to protect.
 */
import type { Plan, Resource } from './types.ts';

export interface ProtectionSummary {
  protectedCount: number;
  unprotectedCount: number;
  plans: number;
  outOfRpo: Plan[];
}

export function summarize(resources: Resource[], plans: Plan[], outOfRpo: Plan[]): ProtectionSummary {
  const present = resources.filter((r) => r.missingSince === null);
  const protectedCount = present.filter((r) => plansProtecting(r, plans).length > 0).length;
  return { protectedCount, unprotectedCount: present.length - protectedCount, plans: plans.length, outOfRpo };
}

/** The enabled plans that protect a resource: those that name it, or name its server. */
export function plansProtecting(resource: Resource, plans: Plan[]): Plan[] {
  return plans.filter((p) => p.enabled && (p.resourceIds.includes(resource.id) || (resource.parentId !== null && p.resourceIds.includes(resource.parentId))));
}
