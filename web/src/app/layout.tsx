// The signed-in shell: skip link, navigation, top bar (theme, user, sign out), shortcuts.
import { Suspense, useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useLiveEvents } from '../api/events';
import { Loading } from '../components/states';
import { useSession } from '../lib/session';
import { kNav, type NavItem } from './nav';
import { useTheme } from './theme';

const kGroups: [NavItem['group'], string][] = [
  ['main', ''],
  ['modules', 'Modules'],
  ['observe', 'Observe'],
  ['admin', 'Admin'],
];

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

function useShortcuts(onHelp: () => void) {
  const navigate = useNavigate();
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey || isTyping(e.target)) return;
      if (e.key === '?') {
        onHelp();
        return;
      }
      if (e.key === 'g') {
        pendingG = Date.now();
        return;
      }
      if (pendingG && Date.now() - pendingG < 1500) {
        const item = kNav.find((n) => n.key === e.key);
        pendingG = 0;
        if (item) {
          e.preventDefault();
          navigate(item.path);
          document.getElementById('main')?.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate, onHelp]);
}

export function Layout() {
  const { user, logout } = useSession();
  const [theme, toggleTheme] = useTheme();
  const [help, setHelp] = useState(false);
  const location = useLocation();
  useShortcuts(() => setHelp((h) => !h));
  useLiveEvents(true);
  // The longest matching path names the page (/incidents/runbooks is Runbooks, not Incidents).
  const current = kNav
    .filter((n) =>
      n.path === '/' ? location.pathname === '/' : location.pathname.startsWith(n.path),
    )
    .sort((a, b) => b.path.length - a.path.length)[0];

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>
          devops-ai
        </div>
        <nav aria-label="Main">
          {kGroups.map(([group, title]) => (
            <div key={group} className="nav-group">
              {title ? <div className="nav-title">{title}</div> : null}
              <ul>
                {kNav
                  .filter((n) => n.group === group)
                  .map((n) => (
                    <li key={n.path}>
                      <NavLink
                        to={n.path}
                        end={n.path === '/'}
                        className={() => (current === n ? 'nav-link active' : 'nav-link')}
                      >
                        <span>{n.label}</span>
                        <kbd aria-label={`shortcut g ${n.key}`}>g {n.key}</kbd>
                      </NavLink>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <div className="crumb">{current?.label ?? ''}</div>
          <div className="topbar-right">
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => setHelp((h) => !h)}
              aria-expanded={help}
            >
              Shortcuts <kbd>?</kbd>
            </button>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={toggleTheme}
              aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            >
              {theme === 'dark' ? '☀ Light' : '☾ Dark'}
            </button>
            <span className="user-chip" title={`Signed in as ${user.username}`}>
              {user.username} <span className={`role role-${user.role}`}>{user.role}</span>
            </span>
            <button type="button" className="btn btn-small" onClick={() => void logout()}>
              Sign out
            </button>
          </div>
        </header>
        {help ? (
          <div className="help-panel" role="dialog" aria-label="Keyboard shortcuts">
            <strong>Keyboard shortcuts</strong>
            <ul>
              {kNav.map((n) => (
                <li key={n.path}>
                  <kbd>g {n.key}</kbd> {n.label}
                </li>
              ))}
              <li>
                <kbd>?</kbd> this panel
              </li>
            </ul>
          </div>
        ) : null}
        <main id="main" tabIndex={-1} className="content">
          <Suspense fallback={<Loading label="Loading page" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
