/**
 * Which host a new resource is restored on, grouped by site, with the bank each would read the
 * checkpoint from: a restore at another site reads that site's copy of the bank when it has one, and
 * the user should know before starting whether the data crosses sites.
 */
import type { RestoreHost } from './restore-targets.ts';

interface Props {
  hosts: RestoreHost[];
  value: string | undefined;
  onChange: (hostId: string) => void;
}

export function RestoreHostChoice({ hosts, value, onChange }: Props) {
  const sites = [...new Set(hosts.map((h) => h.siteName))];
  const chosen = hosts.find((h) => h.id === value);
  return (
    <div className="option">
      <label htmlFor="restore-host">Host</label>
      <select id="restore-host" aria-describedby="restore-host-help" value={value} onChange={(e) => onChange(e.target.value)}>
        {sites.map((site) => (
          <optgroup key={site} label={`Site ${site}`}>
            {hosts.filter((h) => h.siteName === site).map((h) => <option key={h.id} value={h.id}>{h.name}{h.original ? ' (the original\'s)' : ''}</option>)}
          </optgroup>
        ))}
      </select>
      {chosen && (
        <p id="restore-host-help" className="small muted">
          At site {chosen.siteName}, reading from bank {chosen.bank.name}{chosen.bank.siteName === chosen.siteName ? ' at the same site' : ` at site ${chosen.bank.siteName}: no copy of the bank is attached at ${chosen.siteName}`}.
        </p>
      )}
    </div>
  );
}
