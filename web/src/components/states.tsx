// Designed loading, empty, error and not-built states shared by every page.
import type { ReactNode } from 'react';
import { ApiError, describeError } from '../api/errors';

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <div className="state-title">{title}</div>
      {children ? <div className="state-body">{children}</div> : null}
    </div>
  );
}

/** The module behind `procedure` is registered but answers NOT_IMPLEMENTED (HTTP 501). */
export function NotBuilt({ procedure, message }: { procedure: string; message?: string }) {
  return (
    <div className="state state-notbuilt" data-testid="not-built">
      <div className="state-badge">Not built yet</div>
      <div className="state-title">
        <code>{procedure}</code> answered 501 Not Implemented
      </div>
      <div className="state-body">
        <p className="state-explain">
          The procedure is registered on this server but its module has not been built. Nothing is
          shown here until the server returns real data.
        </p>
        {message ? <div className="state-detail">Server: {message}</div> : null}
      </div>
    </div>
  );
}

/** Renders the right state for an ApiError; NOT_IMPLEMENTED gets the not-built design. */
export function ErrorState({
  error,
  onRetry,
  title = 'Could not load',
}: {
  error: ApiError;
  onRetry?: () => void;
  title?: string;
}) {
  if (error.notImplemented) return <NotBuilt procedure={error.path} message={error.message} />;
  return (
    <div className="state state-error" role="alert">
      <div className="state-title">
        {error.code === 'FORBIDDEN' ? 'Not allowed' : title}
        <span className="state-code">
          {error.code}
          {error.httpStatus ? ` · ${error.httpStatus}` : ''}
        </span>
      </div>
      <div className="state-body">{describeError(error)}</div>
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Shows loading, error or the content of a query. */
export function QueryView<T>({
  q,
  children,
  loadingLabel,
}: {
  q: { isPending: boolean; error: ApiError | null; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
  loadingLabel?: string;
}) {
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (q.isPending || q.data === undefined) return <Loading label={loadingLabel} />;
  return <>{children(q.data)}</>;
}
