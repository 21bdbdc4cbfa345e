/**
 * The usage report's sums, from GET /v1/usage's hourly records (in hour order, as the API gives them).
 * A record is a resource's checkpoints and stored bytes as sampled in an hour, a level rather than an
 * amount: a period's figure for a resource is its latest sample, and a tenant's is the sum of its
 * resources' latest. By day likewise, with each resource's last sample of that day.
 */
import type { UsageRecord } from './types.ts';

export interface ResourceUsage {
  tenantId: string;
  tenantName: string;
  resourceId: string;
  resourceName: string;
  checkpoints: number;
  storedBytes: number;
  /** The hour of the sample these figures come from. */
  sampledAt: string;
}

export interface UsageSum {
  tenantId: string;
  tenantName: string;
  resources: number;
  checkpoints: number;
  storedBytes: number;
}

export interface DayUsage extends UsageSum {
  /** YYYY-MM-DD */
  day: string;
}

/** Each resource's latest sample, by tenant name then resource name. */
export function latestPerResource(records: UsageRecord[]): ResourceUsage[] {
  const latest = new Map<string, UsageRecord>();
  for (const r of records) latest.set(`${r.tenantId} ${r.resourceId}`, r);
  return [...latest.values()].map(resourceUsage).sort((a, b) => a.tenantName.localeCompare(b.tenantName) || a.resourceName.localeCompare(b.resourceName));
}

/** Per tenant, the sum of its resources' latest samples, by tenant name. */
export function perTenant(records: UsageRecord[]): UsageSum[] {
  return sums(latestPerResource(records), (r) => r.tenantId).map(([, s]) => s);
}

/** Per day and tenant, the sum of each resource's last sample of that day; oldest day first. `dayOf` gives an hour's day (the browser's local one). */
export function perDay(records: UsageRecord[], dayOf: (hour: string) => string = localDay): DayUsage[] {
  const byDay = new Map<string, UsageRecord[]>();
  for (const r of records) {
    const day = dayOf(r.hour);
    byDay.set(day, [...(byDay.get(day) ?? []), r]);
  }
  return [...byDay.keys()].sort().flatMap((day) => perTenant(byDay.get(day)!).map((s) => ({ day, ...s })));
}

/** YYYY-MM-DD of a time, in the browser's time zone. */
export function localDay(iso: string | Date): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The report's default period: the last 30 days, today included. */
export function defaultPeriod(now = new Date()): { from: string; to: string } {
  const from = new Date(now);
  from.setDate(from.getDate() - 30);
  return { from: localDay(from), to: localDay(now) };
}

/** The API's from and to for a period of whole local days, `to` included: from its midnight to the next day's. */
export function periodQuery(from: string, to: string): { from: string; to: string } {
  const end = new Date(`${to}T00:00`);
  end.setDate(end.getDate() + 1);
  return { from: new Date(`${from}T00:00`).toISOString(), to: end.toISOString() };
}

function resourceUsage(r: UsageRecord): ResourceUsage {
  return {
    tenantId: r.tenantId, tenantName: r.tenantName ?? r.tenantId, resourceId: r.resourceId, resourceName: r.resourceName ?? r.resourceId,
    checkpoints: r.checkpoints, storedBytes: r.storedBytes, sampledAt: r.hour,
  };
}

function sums(items: ResourceUsage[], keyOf: (r: ResourceUsage) => string): [string, UsageSum][] {
  const out = new Map<string, UsageSum>();
  for (const r of items) {
    const s = out.get(keyOf(r)) ?? { tenantId: r.tenantId, tenantName: r.tenantName, resources: 0, checkpoints: 0, storedBytes: 0 };
    out.set(keyOf(r), { ...s, resources: s.resources + 1, checkpoints: s.checkpoints + r.checkpoints, storedBytes: s.storedBytes + r.storedBytes });
  }
  return [...out.entries()];
}
