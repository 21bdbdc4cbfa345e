/**
 * The usage report (GET /v1/usage): for a period of days (the last 30 by default), each tenant's and
 * each resource's checkpoints and stored bytes as last sampled, and the same per day; Export CSV saves
 * the API's own CSV of the same records. Operators see every tenant, or one picked in the filter (at
 * /admin/usage); a tenant's members see theirs (at /usage). The filters live in the URL.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { ExportCsvButton } from './export-csv-button.tsx';
import { navigate, useLocation } from './router.ts';
import type { Tenant, UsageRecord } from './types.ts';
import { defaultPeriod, periodQuery } from './usage-report.ts';
import { UsageTables } from './usage-tables.tsx';
import { usePoll } from './use-poll.ts';

const refreshDelay = () => 60_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `tenant`: that tenant's usage only (a member's view); none: every tenant's, with a filter (operators). */
export function UsagePage({ client, tenant }: { client: Client; tenant?: Tenant }) {
  const url = useLocation();
  const period = defaultPeriod();
  const from = dayParam(url.searchParams.get('from')) ?? period.from;
  const to = dayParam(url.searchParams.get('to')) ?? period.to;
  const tenantId = tenant?.id ?? url.searchParams.get('tenant') ?? '';
  const backwards = from > to;
  const range = periodQuery(from, to);
  const query = `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}${tenantId ? `&tenantId=${encodeURIComponent(tenantId)}` : ''}`;

  const load = useCallback(async (signal: AbortSignal) => (await client.get<{ items: UsageRecord[] }>(`/v1/usage?${query}`, signal)).items, [client, query]);
  const usage = usePoll(load, refreshDelay);
  const loadTenants = useCallback((signal: AbortSignal) => (tenant ? Promise.resolve([tenant]) : client.list<Tenant>('/v1/tenants', signal)), [client, tenant]);
  const tenants = usePoll(loadTenants, refreshDelay);

  const setFilter = (name: 'from' | 'to' | 'tenant', value: string) => {
    const next = new URLSearchParams(url.search);
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`${url.pathname}${search ? `?${search}` : ''}`, { replace: true });
  };
  const picked = tenants.data?.find((t) => t.id === tenantId);

  return (
    <>
      <h1>Usage</h1>
      <p className="muted">
        Checkpoints held and bytes stored{tenant ? ` by ${tenant.name}` : ', per tenant and resource'}, as sampled after each backup and delete and by the server's sweep.
        A period's figure is the latest sample in it.
      </p>
      <form className="filters" aria-label="Filter usage" onSubmit={(e) => e.preventDefault()}>
        <label><span>From</span><input type="date" value={from} max={to} required onChange={(e) => setFilter('from', e.target.value)} /></label>
        <label><span>To (included)</span><input type="date" value={to} min={from} required onChange={(e) => setFilter('to', e.target.value)} /></label>
        {!tenant && (
          <label>
            <span>Tenant</span>
            <select value={tenantId} onChange={(e) => setFilter('tenant', e.target.value)}>
              <option value="">All tenants</option>
              {tenants.data?.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
          </label>
        )}
        {!backwards && <ExportCsvButton client={client} query={query} filename={`cairn-usage-${picked ? `${picked.name.replace(/[^\w.-]+/g, '_')}-` : ''}${from}-to-${to}.csv`} />}
      </form>
      {backwards && <p className="error" role="alert">The period starts after it ends: pick a From day before the To day.</p>}
      {!backwards && usage.error && <p className="error" role="alert">Cannot load the usage: {usage.error.message}</p>}
      {!backwards && !usage.data && !usage.error && <p className="loading" role="status">Loading…</p>}
      {!backwards && usage.data && <UsageTables records={usage.data} showTenant={!tenantId} />}
    </>
  );
}

function dayParam(v: string | null): string | undefined {
  return v && DAY.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined;
}
