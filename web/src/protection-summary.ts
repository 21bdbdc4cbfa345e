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
  const covered = new Set(plans.filter((p) => p.enabled).flatMap((p) => p.resourceIds));
  const present = resources.filter((r) => r.missingSince === null);
  const protectedCount = present.filter((r) => covered.has(r.id) || (r.parentId !== null && covered.has(r.parentId))).length;
  return { protectedCount, unprotectedCount: present.length - protectedCount, plans: plans.length, outOfRpo };
}
