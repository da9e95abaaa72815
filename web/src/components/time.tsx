import { formatDateTime, formatRelative } from '../lib/format';

/** A time shown relative ("5 minutes ago") with the absolute local time as its title. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}
