/** A new tenant's name (POST /v1/tenants); the API's refusal (a slash, a name taken) shows as it says it, and the name stays to be fixed. */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import type { Tenant } from './types.ts';
import { useAction } from './use-action.ts';

export function NewTenantForm({ client, onCreated }: { client: Client; onCreated: (t: Tenant) => void }) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Tenant | undefined>();
  const { pending, error, run } = useAction();

  const create = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    void run(async () => {
      const t = await client.post<Tenant>('/v1/tenants', { name });
      setName('');
      setCreated(t);
      onCreated(t);
    });
  };

  return (
    <form aria-label="New tenant" onSubmit={create}>
      <div className="field-row">
        <label className="grow">
          <span>Tenant name</span>
          <input value={name} required maxLength={100} aria-invalid={error ? true : undefined} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Creating…' : 'Create tenant'}</button>
      </div>
      {error && <p className="error" role="alert">Cannot create the tenant: {error}</p>}
      <p role="status" className="small">
        {created && <>Tenant {created.name} created. <Link to={`/admin/tenants/${encodeURIComponent(created.id)}`}>Add its members and set its quota</Link>.</>}
      </p>
    </form>
  );
}
