/**
 * A new account: username, password (typed twice, since nobody can read it back) and whether it is an
 * operator's. The password goes to POST /v1/users only; it is cleared once the account is made and on
 * a refusal it stays in its field alone, never in a message.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import type { User } from './types.ts';
import { useAction } from './use-action.ts';

export function UserForm({ client, onCreated }: { client: Client; onCreated: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [operator, setOperator] = useState(false);
  const [created, setCreated] = useState<User | undefined>();
  const [mismatch, setMismatch] = useState(false);
  const { pending, error, run } = useAction();

  const create = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    setMismatch(password !== again);
    if (password !== again) return;
    void run(async () => {
      const u = await client.post<User>('/v1/users', { username: username.trim(), password, operator });
      setUsername('');
      setPassword('');
      setAgain('');
      setOperator(false);
      setCreated(u);
      onCreated(u);
    });
  };

  return (
    <form aria-label="New user" onSubmit={create} autoComplete="off">
      <div className="field-row">
        <label className="grow"><span>Username</span><input required maxLength={100} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} /></label>
        <label className="grow"><span>Password</span><input type="password" required autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
        <label className="grow">
          <span>Password again</span>
          <input type="password" required autoComplete="new-password" aria-invalid={mismatch || undefined} value={again} onChange={(e) => { setMismatch(false); setAgain(e.target.value); }} />
        </label>
      </div>
      <label className="check"><input type="checkbox" checked={operator} onChange={(e) => setOperator(e.target.checked)} /> Operator: runs this server and sees every tenant</label>
      <p className="muted small">At least 12 characters. Nobody can read a password back, so give it to its owner yourself.</p>
      {mismatch && <p className="error" role="alert">The two passwords differ: type the same password twice.</p>}
      {error && <p className="error" role="alert">Cannot create the user: {error}</p>}
      <button type="submit" className="primary" disabled={pending}>{pending ? 'Creating…' : 'Create user'}</button>
      <p role="status" className="small">{created && <>User {created.username} created{created.operator ? ', an operator' : ''}. Add them to a tenant on the tenant's page.</>}</p>
    </form>
  );
}
