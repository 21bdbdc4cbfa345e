/** The usage report's tables: per tenant (when more than one may show), per resource, and per day. */
import { formatBytes, formatTime } from './format.ts';
import type { UsageRecord } from './types.ts';
import { latestPerResource, perDay, perTenant } from './usage-report.ts';

export function UsageTables({ records, showTenant }: { records: UsageRecord[]; showTenant: boolean }) {
  if (records.length === 0) {
    return (
      <section className="card" aria-label="Usage">
        <p className="empty-note">No usage in this period. Usage is sampled once a tenant has checkpoints: after a backup, and by the server's sweep.</p>
      </section>
    );
  }
  const tenants = perTenant(records);
  return (
    <>
      {showTenant && (
        <section className="card" aria-labelledby="usage-tenants-title">
          <h2 id="usage-tenants-title">By tenant</h2>
          <div className="table-wrap">
            <table className="operations" aria-label="Usage by tenant">
              <thead><tr><th>Tenant</th><th>Resources</th><th>Checkpoints</th><th>Stored</th></tr></thead>
              <tbody>
                {tenants.map((s) => (
                  <tr key={s.tenantId} data-tenant-id={s.tenantId}><td>{s.tenantName}</td><td>{s.resources}</td><td>{s.checkpoints}</td><td>{formatBytes(s.storedBytes)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <section className="card" aria-labelledby="usage-resources-title">
        <h2 id="usage-resources-title">By resource</h2>
        <div className="table-wrap">
          <table className="operations" aria-label="Usage by resource">
            <thead><tr>{showTenant && <th>Tenant</th>}<th>Resource</th><th>Checkpoints</th><th>Stored</th><th>Last sampled</th></tr></thead>
            <tbody>
              {latestPerResource(records).map((r) => (
                <tr key={`${r.tenantId} ${r.resourceId}`} data-resource-id={r.resourceId}>
                  {showTenant && <td>{r.tenantName}</td>}<td>{r.resourceName}</td><td>{r.checkpoints}</td><td>{formatBytes(r.storedBytes)}</td><td>{formatTime(r.sampledAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <details className="card">
        <summary>By day</summary>
        <div className="table-wrap">
          <table className="operations" aria-label="Usage by day">
            <thead><tr><th>Day</th>{showTenant && <th>Tenant</th>}<th>Resources</th><th>Checkpoints</th><th>Stored</th></tr></thead>
            <tbody>
              {perDay(records).map((d) => (
                <tr key={`${d.day} ${d.tenantId}`}><td>{d.day}</td>{showTenant && <td>{d.tenantName}</td>}<td>{d.resources}</td><td>{d.checkpoints}</td><td>{formatBytes(d.storedBytes)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
