// The navigation: path, label and the "g <key>" shortcut of every page.
export interface NavItem {
  path: string;
  label: string;
  key: string;
  group: 'main' | 'modules' | 'observe' | 'admin';
}

export const kNav: NavItem[] = [
  { path: '/', label: 'Overview', key: 'o', group: 'main' },
  { path: '/incidents', label: 'Incidents', key: 'i', group: 'modules' },
  { path: '/incidents/runbooks', label: 'Runbooks', key: 'r', group: 'modules' },
  { path: '/incidents/watches', label: 'Watched queries', key: 'w', group: 'modules' },
  { path: '/self-healing', label: 'Self-Healing', key: 'h', group: 'modules' },
  { path: '/security', label: 'Security', key: 's', group: 'modules' },
  { path: '/cost', label: 'Cost', key: 'c', group: 'modules' },
  { path: '/cicd', label: 'CI/CD', key: 'p', group: 'modules' },
  { path: '/docs', label: 'Docs', key: 'd', group: 'modules' },
  { path: '/explore', label: 'Metrics', key: 'm', group: 'observe' },
  { path: '/logs', label: 'Logs', key: 'l', group: 'observe' },
  { path: '/notifications', label: 'Notifications', key: 'n', group: 'observe' },
  { path: '/assistant', label: 'Assistant', key: 'a', group: 'observe' },
  { path: '/settings', label: 'Settings', key: ',', group: 'admin' },
];
