/**
 * One site: its hosts (kind, location, tenant, health, the operations running there and the limit)
 * and its banks (location, health, what they hold), each linking to its own page.
 */
import { agentGone, bankHealth, hostHealth, type Bank, type Host, type Site } from './infrastructure.ts';
import { nameOf, type Infrastructure } from './infrastructure-data.ts';
import { formatAgo, formatBytes } from './format.ts';
import { HealthBadge } from './health-badge.tsx';
import { Link } from './link.tsx';

interface Props { site: Site; data: Infrastructure; now: number }

export function SiteCard({ site, data, now }: Props) {
  const hosts = data.hosts.filter((h) => h.siteId === site.id);
  const banks = data.banks.filter((b) => b.siteId === site.id);
  const titleId = `site-${site.id}`;
  return (
    <section className="card site-card" aria-labelledby={titleId} data-site-id={site.id}>
      <h2 id={titleId}>{site.name}</h2>
      <h3>Hosts</h3>
      {hosts.length === 0 ? <p className="empty-note">No hosts at this site. Register one with Register a host.</p> : (
        <div className="table-wrap">
          <table className="operations" aria-label={`Hosts of ${site.name}`}>
            <thead><tr><th>Name</th><th>Kind</th><th>Location</th><th>Tenant</th><th>Health</th><th>Running</th></tr></thead>
            <tbody>{hosts.map((h) => <HostRow key={h.id} host={h} data={data} now={now} />)}</tbody>
          </table>
        </div>
      )}
      <h3>Banks</h3>
      {banks.length === 0 ? <p className="empty-note">No banks at this site. Attach one with POST /v1/banks (see the API reference).</p> : (
        <div className="table-wrap">
          <table className="operations" aria-label={`Banks of ${site.name}`}>
            <thead><tr><th>Name</th><th>Location</th><th>Health</th><th>Checkpoints</th><th>Stored</th><th>Running</th></tr></thead>
            <tbody>{banks.map((b) => <BankRow key={b.id} bank={b} data={data} />)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const limitOf = (max: number | null) => (max === null ? '' : ` of ${max}`);

function HostRow({ host, data, now }: { host: Host; data: Infrastructure; now: number }) {
  const health = hostHealth(host, now);
  return (
    <tr data-host-id={host.id}>
      <td><Link to={`/admin/hosts/${encodeURIComponent(host.id)}`}>{host.name}</Link></td>
      <td>{host.kind}</td>
      <td className="mono small">{host.location}</td>
      <td>{nameOf(data.tenants, host.tenantId) ?? <span className="muted">none</span>}</td>
      <td>
        <HealthBadge health={health} />
        {host.discoveryError && <div className="small error-text">{host.discoveryError}</div>}
        {host.agentSeenAt && !agentGone(host, now) && <div className="small muted">agent seen {formatAgo(host.agentSeenAt, now)}</div>}
      </td>
      <td>{host.runningOperations}{limitOf(host.maxOperations)}</td>
    </tr>
  );
}

function BankRow({ bank, data }: { bank: Bank; data: Infrastructure }) {
  const h = data.health.get(bank.id);
  return (
    <tr data-bank-id={bank.id}>
      <td><Link to={`/admin/banks/${encodeURIComponent(bank.id)}`}>{bank.name}</Link></td>
      <td className="mono small">{bank.location}</td>
      <td>
        <HealthBadge health={bankHealth(h)} />
        {h?.reason && <div className="small error-text">{h.reason}</div>}
      </td>
      <td>{h ? h.checkpoints : '—'}</td>
      <td>{h ? formatBytes(h.storedBytes) : '—'}</td>
      <td>{h ? `${h.runningOperations}${limitOf(bank.maxOperations)}` : '—'}</td>
    </tr>
  );
}
