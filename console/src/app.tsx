// The shell: sign-in, the session (token in sessionStorage), navigation by role, routes.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, clearToken, errorText, loadToken, saveToken, validToken, type Whoami } from './api';
import { Link } from './components';
import { matchRoute, navigate, usePath } from './router';
import { SessionContext, type Session } from './session';
import { DashboardPage } from './pages/dashboard';
import { ReviewPage } from './pages/review';
import { ItemPage } from './pages/item';
import { ReferralsPage, ReferralPage } from './pages/referrals';
import { BanksPage } from './pages/banks';
import { OperationsPage } from './pages/operations';
import { PlatformsPage } from './pages/platforms';
import { AuditPage } from './pages/audit';
import { LiaisonPage } from './pages/liaison';

interface NavEntry {
  href: string;
  label: string;
  show: (s: Session) => boolean;
}

const isPlatform = (s: Session) => s.me.role === 'platform';
const NAV: NavEntry[] = [
  { href: '/', label: 'Dashboard', show: (s) => !isPlatform(s) && s.can('item.read') },
  { href: '/review', label: 'Review', show: (s) => s.can('review') },
  { href: '/referrals', label: 'Referrals', show: (s) => !isPlatform(s) && s.can('item.read') },
  { href: '/operations', label: 'Operations', show: (s) => !isPlatform(s) && s.can('referral.read') },
  { href: '/banks', label: 'Banks', show: (s) => s.can('bank.read') },
  { href: '/platforms', label: 'Platforms', show: () => true },
  { href: '/audit', label: 'Audit log', show: (s) => s.can('audit.read') },
  { href: '/liaison', label: 'Referrals to us', show: isPlatform },
];

function SignIn(props: { onToken: (t: string) => void; error: string }) {
  const [token, setToken] = useState('');
  const [local, setLocal] = useState('');
  return (
    <main class="signin" id="main">
      <h1>vigil console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!validToken(token)) {
            setLocal('That is not a vigil API token (vgl_ followed by 43 characters).');
            return;
          }
          setLocal('');
          props.onToken(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
          required
        />
        <p id="token-help" class="muted">
          Paste the token your administrator gave you. It is kept in this tab only
          (sessionStorage) and forgotten when the tab closes.
        </p>
        <button type="submit" class="primary">
          Sign in
        </button>
        {(local || props.error) && (
          <p class="notice notice-error" role="alert">
            {local || props.error}
          </p>
        )}
      </form>
    </main>
  );
}

function Routes() {
  const path = usePath();
  let m: Record<string, string> | null;
  if (path === '/' || path === '/dashboard') return <DashboardPage />;
  if (path === '/review') return <ReviewPage />;
  if ((m = matchRoute('/items/:id', path))) return <ItemPage id={Number(m.id)} />;
  if (path === '/referrals') return <ReferralsPage />;
  if ((m = matchRoute('/referrals/:id', path))) return <ReferralPage id={Number(m.id)} />;
  if (path === '/banks') return <BanksPage />;
  if (path === '/operations') return <OperationsPage />;
  if (path === '/platforms') return <PlatformsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/liaison') return <LiaisonPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link href="/">Go to the start</Link>.
      </p>
    </section>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken(sessionStorage));
  const [me, setMe] = useState<Whoami | null>(null);
  const [error, setError] = useState('');
  const path = usePath();

  const api = useMemo(
    () =>
      token
        ? new Api({
            token,
            onUnauthenticated: () => {
              clearToken(sessionStorage);
              setToken(null);
              setMe(null);
              setError('Your token was refused (expired or revoked). Sign in again.');
            },
          })
        : null,
    [token],
  );

  useEffect(() => {
    if (!api) return;
    api.whoami().then(
      (w) => {
        saveToken(sessionStorage, token!);
        setMe(w);
        setError('');
        // A platform liaison lands on its own view.
        if (w.role === 'platform' && location.pathname === '/') navigate('/liaison');
      },
      (e) => {
        clearToken(sessionStorage);
        setToken(null);
        setError(errorText(e));
      },
    );
  }, [api]);

  const session = useMemo<Session | null>(
    () =>
      api && me
        ? {
            api,
            me,
            can: (p) => me.permissions.includes(p),
            signOut: () => {
              clearToken(sessionStorage);
              setToken(null);
              setMe(null);
              navigate('/');
            },
          }
        : null,
    [api, me],
  );

  if (!token) return <SignIn onToken={setToken} error={error} />;
  if (!session) return <p class="muted" role="status">Signing in…</p>;
  return (
    <SessionContext.Provider value={session}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">vigil</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => n.show(session)).map((n) => (
              <li key={n.href}>
                <Link
                  href={n.href}
                  aria-current={
                    path === n.href || (n.href !== '/' && path.startsWith(n.href + '/')) ? 'page' : undefined
                  }
                >
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" data-testid="whoami">
          {me!.user.name} · {me!.role} · {me!.organisation.name}
        </span>
        <button type="button" class="link" onClick={session.signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes />
      </main>
    </SessionContext.Provider>
  );
}
