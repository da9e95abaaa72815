// Dark and light themes: saved in localStorage, defaulting to prefers-color-scheme.
import { useCallback, useState } from 'react';

export type Theme = 'dark' | 'light';
const kKey = 'dai-theme';

export function initialTheme(): Theme {
  const saved = localStorage.getItem(kKey);
  if (saved === 'dark' || saved === 'light') return saved;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => {
    const t = initialTheme();
    document.documentElement.dataset.theme = t;
    return t;
  });
  const toggle = useCallback(() => {
    setTheme((t) => {
      const next: Theme = t === 'dark' ? 'light' : 'dark';
      localStorage.setItem(kKey, next);
      document.documentElement.dataset.theme = next;
      return next;
    });
  }, []);
  return [theme, toggle];
}
