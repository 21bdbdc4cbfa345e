/** Sign in with a Cairn account: POST /v1/tokens, as `cairn login` does. */
import { useRef, useState, type FormEvent } from 'react';
import { ApiError } from './api.ts';
import { signIn, type Session } from './session.ts';

interface Props {
  notice: string | undefined;
  onSignedIn: (session: Session) => void;
}

export function SignInPage({ notice, onSignedIn }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const passwordField = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(username.trim(), password));
    } catch (err) {
      // The API answers a wrong username and a wrong password alike; say it in the console's words.
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : (err as Error).message);
      setPassword('');
      passwordField.current?.focus();
    } finally {
      setPending(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title"><span className="brand-mark" aria-hidden="true">▲</span> Cairn</h1>
        <p className="muted">Sign in to protect and restore your resources.</p>
        {notice && !error && <p className="notice" role="status">{notice}</p>}
        {error && <p className="error" role="alert" id="sign-in-error">{error}</p>}
        <label htmlFor="username">Username</label>
        <input id="username" name="username" autoComplete="username" required autoFocus value={username}
          onChange={(e) => setUsername(e.target.value)} aria-invalid={error ? true : undefined} />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required ref={passwordField}
          value={password} onChange={(e) => setPassword(e.target.value)} aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined} />
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
