// Password sign-in, and the one-time setup-token flow that creates the first admin.
import { useState, type FormEvent } from 'react';
import { mutate } from '../../api/client';
import { ApiError, describeError } from '../../api/errors';
import type { User } from '../../lib/session';

type Done = (user: User, csrfToken: string) => void;

function Brand() {
  return (
    <div className="auth-brand">
      <span className="logo" aria-hidden="true">
        ◆
      </span>
      devops-ai
    </div>
  );
}

function formError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'UNAUTHORIZED') return 'Wrong username or password.';
    return describeError(e);
  }
  return String(e);
}

export function LoginForm({ onDone, notice }: { onDone: Done; notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await mutate('auth.login', { username, password });
      onDone(r.user, r.csrfToken);
    } catch (e) {
      setError(formError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-shell" id="main">
      <form className="auth-card" onSubmit={submit} aria-labelledby="login-title">
        <Brand />
        <h1 id="login-title">Sign in</h1>
        {notice ? <p className="notice">{notice}</p> : null}
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

export function SetupForm({ onDone }: { onDone: Done }) {
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (password !== confirm) {
      setError('The passwords differ.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await mutate('auth.setup', { setupToken: setupToken.trim(), username, password });
      onDone(r.user, r.csrfToken);
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'UNAUTHORIZED'
          ? 'The setup token is not valid (it works once; see the server console).'
          : formError(e),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-shell" id="main">
      <form className="auth-card" onSubmit={submit} aria-labelledby="setup-title">
        <Brand />
        <h1 id="setup-title">Create the first administrator</h1>
        <p className="muted">
          The server printed a one-time setup token on its console when it first started.
        </p>
        <label>
          Setup token
          <input
            name="setupToken"
            autoComplete="off"
            spellCheck={false}
            required
            autoFocus
            value={setupToken}
            onChange={(e) => setSetupToken(e.target.value)}
          />
        </label>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label>
          Confirm password
          <input
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </main>
  );
}
