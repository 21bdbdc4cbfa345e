/** Adds a user account to a tenant with a role (PUT /v1/tenants/{id}/members/{userId}); the accounts offered are those not in it yet. */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { ROLES } from './role.ts';
import type { TenantRole, User } from './types.ts';
import { useAction } from './use-action.ts';

interface Props {
  client: Client;
  /** …/tenants/{id}/members */
  path: string;
  users: User[];
  onAdded: () => void;
}

export function MemberForm({ client, path, users, onAdded }: Props) {
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<TenantRole>('member');
  const { pending, error, run } = useAction();
  const picked = users.some((u) => u.id === userId) ? userId : '';

  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await client.put(`${path}/${encodeURIComponent(picked)}`, { role });
      setUserId('');
      onAdded();
    });
  };

  if (users.length === 0) return <p className="muted small">Every user account is a member already. Create accounts on the Users page.</p>;
  return (
    <form aria-label="Add a member" onSubmit={add}>
      <div className="field-row">
        <label>
          <span>User</span>
          <select value={picked} required onChange={(e) => setUserId(e.target.value)}>
            <option value="">Pick a user…</option>
            {users.map((u) => <option key={u.id} value={u.id}>{u.username}{u.operator ? ' (operator)' : ''}</option>)}
          </select>
        </label>
        <label>
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as TenantRole)}>
            {ROLES.map((r) => <option key={r.role} value={r.role}>{r.says}</option>)}
          </select>
        </label>
        <button type="submit" className="primary" disabled={pending || !picked}>{pending ? 'Adding…' : 'Add member'}</button>
      </div>
      {error && <p className="error" role="alert">Cannot add the member: {error}</p>}
    </form>
  );
}
