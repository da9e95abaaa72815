// Page state kept in the query string (filters and list offsets), so a view can be shared and
// survives a reload. Changing a filter resets the offsets named in `resets`.
import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

/** A string parameter: [value or fallback, set (empty string removes it)]. */
export function useUrlParam(
  key: string,
  fallback = '',
  resets: string[] = [],
): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get(key) ?? fallback;
  const set = useCallback(
    (next: string) =>
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          if (next === '' || next === fallback) p.delete(key);
          else p.set(key, next);
          for (const r of resets) p.delete(r);
          return p;
        },
        { replace: true },
      ),
    [key, fallback, resets, setParams],
  );
  return [value, set];
}

/** A list offset: [offset (0 when absent or invalid), set]. */
export function useUrlOffset(key: string): [number, (offset: number) => void] {
  const [raw, setRaw] = useUrlParam(key, '0');
  const n = Number(raw);
  const offset = Number.isInteger(n) && n > 0 ? n : 0;
  const set = useCallback((o: number) => setRaw(String(Math.max(0, o))), [setRaw]);
  return [offset, set];
}
