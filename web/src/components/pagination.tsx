// Offset pagination for every list: "1–50 of 312" with previous/next.
import { createContext, useContext } from 'react';
import { formatNumber } from '../lib/format';
import { useUrlOffset } from '../lib/url-state';

/** The title of the enclosing Panel: it names the list's pagination ("Rules pages"). */
export const PanelTitle = createContext<string | null>(null);

export function Pagination({
  offset,
  limit,
  total,
  onChange,
  label,
}: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
  /** The navigation's name; by default the enclosing panel's title + " pages". */
  label?: string;
}) {
  const panel = useContext(PanelTitle);
  const name = label ?? (panel ? `${panel} pages` : 'Pagination');
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pagination" aria-label={name}>
      <span className="muted">
        {formatNumber(first)}–{formatNumber(last)} of {formatNumber(total)}
      </span>
      <button
        type="button"
        className="btn btn-small"
        disabled={offset <= 0}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <button
        type="button"
        className="btn btn-small"
        disabled={offset + limit >= total}
        onClick={() => onChange(offset + limit)}
      >
        Next
      </button>
    </nav>
  );
}

/**
 * A paged list whose offset lives in the address under `key`: `limit`/`offset` for the
 * procedure's input (server paging) or for slicing a list the procedure answers whole (client
 * paging), and `pager(total)`, the control (none while everything fits on one page).
 */
export function usePage(key: string, limit = 20, label?: string) {
  const [offset, setOffset] = useUrlOffset(key);
  const pager = (total: number | undefined) =>
    total !== undefined && (total > limit || offset > 0) ? (
      <Pagination offset={offset} limit={limit} total={total} onChange={setOffset} label={label} />
    ) : null;
  return { limit, offset, pager };
}
