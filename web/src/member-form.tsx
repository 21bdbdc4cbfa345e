/**
 * Adds an account to a tenant with a role (POST /v1/tenants/{id}/members {username, role}). Operators
 * pick from the accounts not in it yet; a tenant's admin, who may not list accounts, types a username.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { ROLES } from './role.ts';
import type { Member, TenantRole, User } from './types.ts';
import { useAction } from './use-action.ts';

interface Props {
  client: Client;
  /** …/tenants/{id}/members */
  path: string;
  /** The accounts to pick from (operators); undefined: a username is typed. */
  users: User[] | undefined;
  onAdded: () => void;
}

export function MemberForm({ client, path, users, onAdded }: Props) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<TenantRole>('member');
  const [added, setAdded] = useState<Member | undefined>();
  const { pending, error, run } = useAction();

  const add = (e: FormEvent) => {
    e.preventDefault();
    setAdded(undefined);
    void run(async () => {
      setAdded(await client.post<Member>(path, { username: username.trim(), role }));
      setUsername('');
      onAdded();
    });
  };

  if (users?.length === 0) return <p className="muted small">Every user account is a member already. Create accounts on the Users page.</p>;
  return (
    <form aria-label="Add a member" onSubmit={add}>
      <h3 className="form-title">Add a member</h3>
      <div className="field-row">
        {users
          ? (
            <label>
              <span>User</span>
              <select value={users.some((u) => u.username === username) ? username : ''} required onChange={(e) => setUsername(e.target.value)}>
                <option value="">Pick a user…</option>
                {users.map((u) => <option key={u.id} value={u.username}>{u.username}{u.operator ? ' (operator)' : ''}</option>)}
              </select>
            </label>
          )
          : <label><span>Username</span><input required maxLength={100} autoComplete="off" value={username} aria-invalid={error ? true : undefined} onChange={(e) => setUsername(e.target.value)} /></label>}
        <label>
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as TenantRole)}>
            {ROLES.map((r) => <option key={r.role} value={r.role}>{r.says}</option>)}
          </select>
        </label>
        <button type="submit" className="primary" disabled={pending || !username.trim()}>{pending ? 'Adding…' : 'Add member'}</button>
      </div>
      {error && <p className="error" role="alert">Cannot add the member: {error}</p>}
      <p role="status" className="small">{added && `${added.username} is now ${added.role === 'admin' ? 'an' : 'a'} ${added.role} of this tenant.`}</p>
    </form>
  );
}
