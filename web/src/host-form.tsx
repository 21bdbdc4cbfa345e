/**
 * Registers a host (POST /v1/hosts): its kind says what its location is (a libvirt URI, a directory of
 * volumes, a qemu-storage-daemon QMP socket, a directory of file roots); what discovery finds there
 * belongs to the tenant chosen, or to none until an operator gives it to one.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { HOST_KINDS, type Host, type HostKind, type Site } from './infrastructure.ts';
import type { Tenant } from './types.ts';
import { useAction } from './use-action.ts';

const LOCATION_HINT: Record<HostKind, string> = {
  libvirt: 'a libvirt URI, e.g. qemu:///system',
  volumes: 'a directory of volume files on this server',
  qsd: 'the path of a qemu-storage-daemon QMP socket',
  files: 'a directory whose subdirectories are file sets',
};

interface Props { client: Client; sites: Site[]; tenants: Tenant[]; onCreated: (h: Host) => void }

export function HostForm({ client, sites, tenants, onCreated }: Props) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<HostKind>('volumes');
  const [location, setLocation] = useState('');
  const [siteId, setSiteId] = useState(sites[0]?.id ?? '');
  const [tenantId, setTenantId] = useState('');
  const { pending, error, run } = useAction();
  const register = (e: FormEvent) => {
    e.preventDefault();
    const body = { name: name.trim(), kind, location: location.trim(), siteId, ...(tenantId ? { tenantId } : {}) };
    void run(async () => onCreated(await client.post<Host>('/v1/hosts', body)));
  };
  return (
    <form aria-label="Register a host" onSubmit={register}>
      <div className="field-row">
        <label className="grow"><span>Host name</span><input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label><span>Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as HostKind)}>{HOST_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}</select>
        </label>
        <label><span>Site</span>
          <select value={siteId} onChange={(e) => setSiteId(e.target.value)}>{sites.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}</select>
        </label>
        <label><span>Tenant</span>
          <select value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            <option value="">None yet</option>
            {tenants.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
        </label>
      </div>
      <div className="field-row">
        <label className="grow"><span>Location</span><input required maxLength={1000} value={location} placeholder={LOCATION_HINT[kind]} aria-describedby="host-location-help" onChange={(e) => setLocation(e.target.value)} /></label>
        <button type="submit" disabled={pending}>{pending ? 'Registering…' : 'Register host'}</button>
      </div>
      <p id="host-location-help" className="muted small">For {kind}: {LOCATION_HINT[kind]}. Discover its resources from the host's page once registered.</p>
      {error && <p className="error" role="alert">Cannot register the host: {error}</p>}
    </form>
  );
}
