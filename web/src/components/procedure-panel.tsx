// A panel that calls one query procedure and shows the server's answer: its data, or the
// designed state for its error (NOT_IMPLEMENTED → "not built yet" naming the procedure).
import { useEffect, useRef, useState, type FormEvent, type ReactNode, type RefObject } from 'react';
import { useSearchParams } from 'react-router';
import type { MutationPath, QueryPath } from '../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../api/hooks';
import { ErrorState, Empty, QueryView } from './states';
import { Pagination, PanelTitle } from './pagination';
import { RequireRole, type Role } from '../lib/session';

export function Panel({
  title,
  actions,
  children,
  id,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const body = useRef<HTMLDivElement>(null);
  const overflows = useOverflow(body);
  return (
    <section className="panel" aria-labelledby={id ? `${id}-h` : undefined}>
      <header className="panel-head">
        <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      {/* A body whose content overflows it scrolls (sideways for wide tables; a few pixels down
          when a child such as a chart overhangs); keyboard users reach it with Tab and scroll it
          with the arrow keys (WCAG 2.1.1), so it is focusable then, and named by the title. */}
      <div
        ref={body}
        className="panel-body"
        {...(overflows
          ? { tabIndex: 0, role: 'region', 'aria-label': `${title}, scrollable` }
          : {})}
      >
        <PanelTitle.Provider value={title}>{children}</PanelTitle.Provider>
      </div>
    </section>
  );
}

/** Whether the element's content overflows it in either direction (so it scrolls). */
function useOverflow(ref: RefObject<HTMLElement | null>): boolean {
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const check = () =>
      setOverflows(el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    const ro = new ResizeObserver(check);
    ro.observe(el);
    for (const child of Array.from(el.children)) ro.observe(child);
    const mo = new MutationObserver(() => {
      for (const child of Array.from(el.children)) ro.observe(child);
      check();
    });
    mo.observe(el, { childList: true, subtree: true, characterData: true });
    check();
    return () => {
      ro.disconnect();
      mo.disconnect();
    };
  }, [ref]);
  return overflows;
}

/** Shows rows of an answer generically until the module ships its own page. */
function GenericResult({ data }: { data: unknown }) {
  const items =
    data && typeof data === 'object' && Array.isArray((data as { items?: unknown }).items)
      ? ((data as { items: unknown[] }).items as Record<string, unknown>[])
      : null;
  if (items) {
    if (items.length === 0) return <Empty title="Nothing here yet" />;
    const cols = Object.keys(items[0] ?? {}).slice(0, 8);
    return (
      <table className="table">
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.map((row, i) => (
            <tr key={i}>
              {cols.map((c) => (
                <td key={c}>
                  {typeof row[c] === 'object' ? JSON.stringify(row[c]) : String(row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return <pre className="json">{JSON.stringify(data, null, 2)}</pre>;
}

/** A paged list panel: offset lives in the URL (`?<name>Offset=`) so the view can be shared. */
export function ProcedureListPanel({
  title,
  path,
  input = {},
  pageSize = 50,
}: {
  title: string;
  path: QueryPath;
  input?: Record<string, unknown>;
  pageSize?: number;
}) {
  const [params, setParams] = useSearchParams();
  const key = `${path.split('.')[1]}Offset`;
  const offset = Number(params.get(key) ?? 0) || 0;
  const q = useProcedureQuery(path, { ...input, limit: pageSize, offset } as never);
  const total = (q.data as { total?: unknown } | undefined)?.total;
  return (
    <Panel title={title} actions={<code className="proc">{path}</code>}>
      <QueryView q={q}>
        {(data) => (
          <>
            <GenericResult data={data} />
            {typeof total === 'number' ? (
              <Pagination
                offset={offset}
                limit={pageSize}
                total={total}
                onChange={(o) => {
                  params.set(key, String(o));
                  setParams(params);
                }}
              />
            ) : null}
          </>
        )}
      </QueryView>
    </Panel>
  );
}

export function ProcedureQueryPanel({
  title,
  path,
  input,
}: {
  title: string;
  path: QueryPath;
  input: Record<string, unknown>;
}) {
  const q = useProcedureQuery(path, input as never);
  return (
    <Panel title={title} actions={<code className="proc">{path}</code>}>
      <QueryView q={q}>{(data) => <GenericResult data={data} />}</QueryView>
    </Panel>
  );
}

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'number' | 'select' | 'checkbox';
  options?: string[];
  initial?: string;
  required?: boolean;
}

/** A form that calls one mutation; only offered to roles the procedure allows. */
export function MutationForm({
  title,
  path,
  fields,
  minRole,
  submitLabel,
  invalidate,
}: {
  title: string;
  path: MutationPath;
  fields: Field[];
  minRole: Role;
  submitLabel: string;
  invalidate?: string[];
}) {
  const m = useProcedureMutation(path, invalidate);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, f.initial ?? f.options?.[0] ?? ''])),
  );
  function submit(ev: FormEvent) {
    ev.preventDefault();
    const input: Record<string, unknown> = {};
    for (const f of fields) {
      const v = values[f.name] ?? '';
      if (f.type === 'checkbox') input[f.name] = v === 'true';
      else if (v === '') continue;
      else input[f.name] = f.type === 'number' ? Number(v) : v;
    }
    m.mutate(input as never);
  }
  return (
    <RequireRole min={minRole}>
      <Panel title={title} actions={<code className="proc">{path}</code>}>
        <form className="inline-form" onSubmit={submit} aria-label={title}>
          {fields.map((f) => (
            <label key={f.name} className={f.type === 'checkbox' ? 'check' : undefined}>
              {f.label}
              {f.type === 'select' ? (
                <select
                  name={f.name}
                  value={values[f.name]}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                >
                  {f.options?.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : f.type === 'checkbox' ? (
                <input
                  type="checkbox"
                  name={f.name}
                  checked={values[f.name] === 'true'}
                  onChange={(e) =>
                    setValues({ ...values, [f.name]: e.target.checked ? 'true' : 'false' })
                  }
                />
              ) : (
                <input
                  name={f.name}
                  type={f.type ?? 'text'}
                  required={f.required}
                  value={values[f.name]}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                />
              )}
            </label>
          ))}
          <button type="submit" className="btn btn-primary btn-small" disabled={m.isPending}>
            {m.isPending ? 'Working…' : submitLabel}
          </button>
        </form>
        {m.error ? <ErrorState error={m.error} title="Request failed" /> : null}
        {m.isSuccess ? <GenericResult data={m.data} /> : null}
      </Panel>
    </RequireRole>
  );
}
