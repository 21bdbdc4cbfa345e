/**
 * The user accounts (operators, GET /v1/users), and a form to create one (POST /v1/users). An account
 * sees nothing until it is made a member of a tenant (a tenant's page) or an operator.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { formatTime } from './format.ts';
import type { User } from './types.ts';
import { usePoll } from './use-poll.ts';
import { UserForm } from './user-form.tsx';

const refreshDelay = () => 30_000;

export function UsersPage({ client }: { client: Client }) {
  const load = useCallback((signal: AbortSignal) => client.list<User>('/v1/users', signal), [client]);
  const { data, error, refresh } = usePoll(load, refreshDelay);
  const users = data && [...data].sort((a, b) => a.username.localeCompare(b.username));

  return (
    <>
      <h1>Users</h1>
      <p className="muted">Everyone who may sign in to this server. A new account sees nothing until it is added to a tenant, on the tenant's page.</p>
      <section className="card" aria-labelledby="new-user-title">
        <h2 id="new-user-title">New user</h2>
        <UserForm client={client} onCreated={refresh} />
      </section>
      <section className="card" aria-labelledby="users-title" aria-busy={!users}>
        <h2 id="users-title">Users</h2>
        {error && <p className="error" role="alert">Cannot load the users: {error.message}</p>}
        {!users && !error && <p className="loading" role="status">Loading…</p>}
        {users && (
          <div className="table-wrap">
            <table className="operations" aria-label="Users">
              <thead><tr><th>Username</th><th>Operator</th><th>Status</th><th>Created</th></tr></thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id} data-user-id={u.id}>
                    <td>{u.username}</td>
                    <td>{u.operator ? 'Yes' : 'No'}</td>
                    <td>{u.disabled ? <span className="state state-failed">disabled</span> : <span className="state state-succeeded">active</span>}</td>
                    <td>{formatTime(u.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
