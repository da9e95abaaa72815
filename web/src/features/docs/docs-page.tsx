// Docs (documentationGenerator.*): the knowledge base with BM25 search and highlighted snippets,
// documents with their sources, versions and a Markdown editor; the architecture diagram
// (Graphviz SVG, zoomable) of a snapshot and the diff between two snapshots; document
// generation; runbook drafts learned from clusters of resolved incidents; a snapshot captured
// from the live cluster; Markdown imported from a git repository (admins).
// Document HTML comes from the server's CommonMark renderer in safe mode (raw HTML and
// javascript: links removed) and snippets are escaped server-side with only <mark> added; the
// SVG is shown through <img>, where no script can run. The search, the open document and the
// lists' offsets live in the address.
import { useState } from 'react';
import { Link } from 'react-router';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';
import { useUrlOffset, useUrlParam } from '../../lib/url-state';

type DocSummary = ProcedureOutput<'documentationGenerator.listDocs'>['items'][number];

function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function DocRow({ doc, onOpen }: { doc: DocSummary; onOpen: (id: number) => void }) {
  return (
    <tr>
      <td>
        <button type="button" className="link" onClick={() => onOpen(doc.id)}>
          {doc.title}
        </button>
        {doc.snippet ? (
          <div className="muted small" dangerouslySetInnerHTML={{ __html: doc.snippet }} />
        ) : null}
      </td>
      <td>{doc.docType.replace('_', ' ')}</td>
      <td>{doc.tags.join(', ')}</td>
      <td>
        v{doc.version}
        {doc.humanEdited ? ' · edited' : ''}
      </td>
      <td>
        <Time iso={doc.updatedAt} />
      </td>
    </tr>
  );
}

function KnowledgeBase({ onOpen }: { onOpen: (id: number) => void }) {
  const [search, setSearch] = useUrlParam('q', '', ['docsOffset']);
  const [text, setText] = useState(search);
  const { limit, offset, pager } = usePage('docsOffset', 50);
  const q = useProcedureQuery(
    'documentationGenerator.listDocs',
    search ? { search, limit, offset } : { limit, offset },
  );
  return (
    <Panel
      title="Knowledge base"
      actions={<code className="proc">documentationGenerator.listDocs</code>}
    >
      <form
        className="form-inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(text.trim());
        }}
      >
        <label>
          Search{' '}
          <input
            type="search"
            value={text}
            placeholder="restart api, failover, deploy*"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-small">
          Search
        </button>
      </form>
      <QueryView q={q} loadingLabel="Loading documents">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title={search ? `Nothing matches “${search}”` : 'No documents yet'} />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Title</th>
                  <th>Type</th>
                  <th>Tags</th>
                  <th>Version</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((d) => (
                  <DocRow key={d.id} doc={d} onOpen={onOpen} />
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

function DocView({ id, onClose }: { id: number; onClose: () => void }) {
  const q = useProcedureQuery('documentationGenerator.getDoc', { id });
  const update = useProcedureMutation('documentationGenerator.updateDoc');
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <Panel
      title="Document"
      actions={
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      }
    >
      <QueryView q={q} loadingLabel="Loading document">
        {(doc) => (
          <article>
            <p className="muted">
              {doc.docType.replace('_', ' ')} · v{doc.version} · {doc.status}
              {doc.sourceType ? ` · source: ${doc.sourceType} ${doc.sourceId ?? ''}` : ''}
              {doc.humanEdited ? ' · edited by a person' : ''}
            </p>
            {doc.links.length > 0 ? (
              <p className="muted">Links: {doc.links.map((l) => `${l.type} ${l.id}`).join(', ')}</p>
            ) : null}
            {draft === null ? (
              <>
                <div className="doc-body" dangerouslySetInnerHTML={{ __html: doc.html ?? '' }} />
                <RequireRole min="operator">
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => setDraft(doc.content ?? '')}
                  >
                    Edit
                  </button>
                </RequireRole>
              </>
            ) : (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  update.mutate(
                    { id: doc.id, content: draft, expectedVersion: doc.version },
                    { onSuccess: () => setDraft(null) },
                  );
                }}
              >
                <label>
                  Markdown
                  <textarea
                    rows={14}
                    value={draft}
                    onChange={(e) => setDraft(e.target.value)}
                    style={{ width: '100%', fontFamily: 'monospace' }}
                  />
                </label>
                <button type="submit" className="btn" disabled={update.isPending}>
                  Save version
                </button>{' '}
                <button type="button" className="btn btn-small" onClick={() => setDraft(null)}>
                  Cancel
                </button>
                {update.error ? <ErrorState error={update.error} title="Not saved" /> : null}
              </form>
            )}
            {doc.versions && doc.versions.length > 0 ? (
              <details>
                <summary>Versions ({doc.versions.length})</summary>
                <ul>
                  {doc.versions.map((v) => (
                    <li key={v.version}>
                      v{v.version} · {v.origin} by {v.author || 'system'}
                      {v.applied ? '' : ' · not applied (kept beside a person’s edit)'} ·{' '}
                      <Time iso={v.createdAt} />
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </article>
        )}
      </QueryView>
    </Panel>
  );
}

function NewDoc({ onCreated }: { onCreated: (id: number) => void }) {
  const create = useProcedureMutation('documentationGenerator.createDoc');
  const [content, setContent] = useState('');
  const [tags, setTags] = useState('');
  return (
    <RequireRole min="operator">
      <Panel title="Write a document">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const tagList = tags
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean);
            create.mutate(
              { content, ...(tagList.length ? { tags: tagList } : {}) },
              {
                onSuccess: (doc) => {
                  setContent('');
                  onCreated(doc.id);
                },
              },
            );
          }}
        >
          <label>
            Markdown (the first # heading is the title; link with [[incident:12]])
            <textarea
              rows={6}
              value={content}
              required
              onChange={(e) => setContent(e.target.value)}
              style={{ width: '100%', fontFamily: 'monospace' }}
            />
          </label>
          <label>
            Tags <input value={tags} onChange={(e) => setTags(e.target.value)} />
          </label>{' '}
          <button type="submit" className="btn" disabled={create.isPending}>
            Save document
          </button>
          {create.error ? <ErrorState error={create.error} title="Not saved" /> : null}
        </form>
      </Panel>
    </RequireRole>
  );
}

// Markdown straight from a git repository (documentationGenerator.importDocs with gitUrl): an
// https:// or file:// URL the server clones, or a repository path on the server. Admins only.
function ImportGit() {
  const imp = useProcedureMutation('documentationGenerator.importDocs');
  const [gitUrl, setGitUrl] = useState('');
  const [ref, setRef] = useState('');
  return (
    <RequireRole min="admin">
      <Panel
        title="Import from git"
        actions={<code className="proc">documentationGenerator.importDocs</code>}
      >
        <form
          className="form-inline"
          aria-label="Import from git"
          onSubmit={(e) => {
            e.preventDefault();
            imp.mutate({ gitUrl, ...(ref ? { ref } : {}) });
          }}
        >
          <label>
            Repository (https:// or file:// URL, or a server path){' '}
            <input value={gitUrl} required onChange={(e) => setGitUrl(e.target.value)} />
          </label>
          <label>
            Ref <input value={ref} placeholder="HEAD" onChange={(e) => setRef(e.target.value)} />
          </label>
          <button type="submit" className="btn" disabled={imp.isPending}>
            {imp.isPending ? 'Importing…' : 'Import Markdown'}
          </button>
        </form>
        {imp.error ? <ErrorState error={imp.error} title="Not imported" /> : null}
        {imp.data ? (
          <p className="small" role="status" data-testid="git-import-result">
            {imp.data.imported.length} document(s) imported
            {imp.data.commit ? ` from ${imp.data.commit.slice(0, 12)}` : ''}
            {imp.data.errors.length
              ? `; left out: ${imp.data.errors.map((e) => `${e.path} (${e.error})`).join(', ')}`
              : ''}
          </p>
        ) : null}
      </Panel>
    </RequireRole>
  );
}

// A snapshot of the live cluster (documentationGenerator.captureSnapshot with cluster: true),
// read through the server's Kubernetes integration; without one the server says so.
function CaptureCluster() {
  const capture = useProcedureMutation('documentationGenerator.captureSnapshot');
  const [name, setName] = useState('cluster');
  const [namespace, setNamespace] = useState('');
  return (
    <RequireRole min="operator">
      <form
        className="form-inline"
        aria-label="Capture the cluster"
        onSubmit={(e) => {
          e.preventDefault();
          capture.mutate({ cluster: true, name, ...(namespace ? { namespace } : {}) });
        }}
      >
        <label>
          Snapshot name <input value={name} required onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Namespace{' '}
          <input
            value={namespace}
            placeholder="all"
            onChange={(e) => setNamespace(e.target.value)}
          />
        </label>
        <button type="submit" className="btn" disabled={capture.isPending}>
          {capture.isPending ? 'Capturing…' : 'Capture from the cluster'}
        </button>
      </form>
      {capture.error ? <ErrorState error={capture.error} title="Not captured" /> : null}
      {capture.data ? (
        <p className="small" role="status" data-testid="capture-result">
          {capture.data.name} v{capture.data.version}: {capture.data.componentCount} components,{' '}
          {capture.data.connectionCount} connections
          {capture.data.warnings.length ? ` (${capture.data.warnings.join('; ')})` : ''}
        </p>
      ) : null}
    </RequireRole>
  );
}

function Generate({ onCreated }: { onCreated: (id: number) => void }) {
  const gen = useProcedureMutation('documentationGenerator.generate');
  const [docType, setDocType] = useState<
    'architecture' | 'api' | 'changelog' | 'runbook' | 'postmortem'
  >('architecture');
  const [target, setTarget] = useState('');
  return (
    <RequireRole min="operator">
      <Panel
        title="Generate a document"
        actions={<code className="proc">documentationGenerator.generate</code>}
      >
        <form
          className="form-inline"
          onSubmit={(e) => {
            e.preventDefault();
            gen.mutate(
              { docType, ...(target ? { target } : {}) },
              { onSuccess: (doc) => onCreated(doc.id) },
            );
          }}
        >
          <label>
            Type{' '}
            <select value={docType} onChange={(e) => setDocType(e.target.value as typeof docType)}>
              <option value="architecture">architecture (latest snapshot)</option>
              <option value="api">api (this platform, or an OpenAPI path)</option>
              <option value="changelog">change log (last 7 days)</option>
              <option value="runbook">runbook (learned from incidents)</option>
              <option value="postmortem">post-mortem (incident id)</option>
            </select>
          </label>
          <label>
            Target <input value={target} onChange={(e) => setTarget(e.target.value)} />
          </label>
          <button type="submit" className="btn" disabled={gen.isPending}>
            Generate
          </button>
        </form>
        {gen.error ? <ErrorState error={gen.error} title="Not generated" /> : null}
      </Panel>
    </RequireRole>
  );
}

function Diagram({ snapshotId }: { snapshotId: number }) {
  const [zoom, setZoom] = useState(1);
  const [groupBy, setGroupBy] = useState<'namespace' | 'team' | 'none'>('namespace');
  const q = useProcedureQuery('documentationGenerator.exportDiagram', {
    snapshotId,
    format: 'svg',
    groupBy,
  });
  return (
    <div>
      <div className="form-inline">
        <label>
          Group by{' '}
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value as typeof groupBy)}>
            <option value="namespace">namespace</option>
            <option value="team">team</option>
            <option value="none">none</option>
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoom((z) => Math.min(z * 1.25, 8))}
        >
          Zoom in
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoom((z) => Math.max(z / 1.25, 0.1))}
        >
          Zoom out
        </button>
        <span className="muted">{Math.round(zoom * 100)}%</span>
      </div>
      <QueryView q={q} loadingLabel="Laying out the diagram">
        {(d) => (
          <div
            style={{
              overflow: 'auto',
              maxHeight: '36rem',
              border: '1px solid var(--border, #ddd)',
            }}
          >
            <img
              alt={`Architecture diagram of snapshot ${d.snapshotId} (${d.components} components)`}
              src={svgDataUrl(d.content)}
              style={{ width: `${zoom * 100}%`, maxWidth: 'none' }}
            />
          </div>
        )}
      </QueryView>
    </div>
  );
}

function SnapshotDiff({ fromId, toId }: { fromId: number; toId: number }) {
  const q = useProcedureQuery('documentationGenerator.diffSnapshots', { fromId, toId });
  return (
    <QueryView q={q} loadingLabel="Comparing snapshots">
      {(d) => (
        <div>
          <h3>
            Changes from snapshot {fromId} to {toId}
          </h3>
          {d.added.length +
            d.removed.length +
            d.changed.length +
            d.addedConnections.length +
            d.removedConnections.length ===
          0 ? (
            <Empty title="No infrastructure changes" />
          ) : (
            <ul>
              {(d.added as { id: string }[]).map((c) => (
                <li key={`a${c.id}`}>added {c.id}</li>
              ))}
              {(d.removed as { id: string }[]).map((c) => (
                <li key={`r${c.id}`}>removed {c.id}</li>
              ))}
              {d.changed.map((c) => (
                <li key={`c${c.id}`}>
                  changed {c.id}: {c.fields.join(', ')}
                </li>
              ))}
              {(d.addedConnections as { from: string; to: string; kind: string }[]).map((e) => (
                <li key={`ae${e.from}${e.to}${e.kind}`}>
                  new connection {e.from} → {e.to} ({e.kind})
                </li>
              ))}
              {(d.removedConnections as { from: string; to: string; kind: string }[]).map((e) => (
                <li key={`re${e.from}${e.to}${e.kind}`}>
                  removed connection {e.from} → {e.to} ({e.kind})
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </QueryView>
  );
}

function Architecture() {
  const { limit, offset, pager } = usePage('snapshotsOffset');
  const q = useProcedureQuery('documentationGenerator.listSnapshots', { limit, offset });
  const [selected, setSelected] = useState<number | null>(null);
  const [compare, setCompare] = useState<number | null>(null);
  return (
    <Panel
      title="Architecture"
      actions={<code className="proc">documentationGenerator.exportDiagram</code>}
    >
      <CaptureCluster />
      <QueryView q={q} loadingLabel="Loading snapshots">
        {(data) => {
          if (data.items.length === 0)
            return (
              <Empty title="No architecture snapshot yet">
                Capture one from the cluster above, or with{' '}
                <code>documentationGenerator.captureSnapshot</code> (Kubernetes manifests,
                Prometheus targets, traffic) or <code>devops-ai docs diagram</code>.
              </Empty>
            );
          const current = selected ?? data.items[0]!.id;
          return (
            <>
              <table className="table">
                <thead>
                  <tr>
                    <th>Snapshot</th>
                    <th>Source</th>
                    <th>Components</th>
                    <th>Captured</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.id} className={s.id === current ? 'selected' : undefined}>
                      <td>
                        {s.name} v{s.version}
                      </td>
                      <td>{s.source}</td>
                      <td>
                        {s.componentCount} / {s.connectionCount} connections
                        {s.warnings.length ? ` · ${s.warnings.length} warnings` : ''}
                      </td>
                      <td>
                        <Time iso={s.capturedAt} />
                      </td>
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setSelected(s.id)}
                        >
                          Show
                        </button>{' '}
                        {s.id !== current ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setCompare(s.id)}
                          >
                            Compare
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Diagram snapshotId={current} />
              {compare !== null && compare !== current ? (
                <SnapshotDiff
                  fromId={Math.min(compare, current)}
                  toId={Math.max(compare, current)}
                />
              ) : null}
            </>
          );
        }}
      </QueryView>
      {pager(q.data?.total)}
    </Panel>
  );
}

function RunbookDrafts({ onCreated }: { onCreated: (id: number) => void }) {
  const q = useProcedureQuery('documentationGenerator.runbookCandidates', {});
  const create = useProcedureMutation('documentationGenerator.createRunbook', [
    'documentationGenerator',
    'incidentCommander',
  ]);
  return (
    <Panel
      title="Runbooks from incident history"
      actions={<code className="proc">documentationGenerator.createRunbook</code>}
    >
      {create.error ? <ErrorState error={create.error} title="No runbook drafted" /> : null}
      {create.data ? (
        <p role="status">
          Drafted runbook <strong>{create.data.name}</strong> from {create.data.incidentIds.length}{' '}
          incidents; it stays disabled until a person enables it.{' '}
          <Link to="/incidents/runbooks">Review it in the runbook editor</Link>.
        </p>
      ) : null}
      <QueryView q={q} loadingLabel="Clustering incidents">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No resolved incidents to learn from" />
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Signature</th>
                  <th>Incidents</th>
                  <th>Steps</th>
                  <RequireRole min="operator">
                    <th>
                      <span className="sr-only">Draft</span>
                    </th>
                  </RequireRole>
                </tr>
              </thead>
              <tbody>
                {data.items.map((c) => (
                  <tr key={c.incidentIds.join(',')}>
                    <td>{c.label}</td>
                    <td>{c.incidentIds.map((i) => `#${i}`).join(' ')}</td>
                    <td>{c.draftable ? c.steps : 'no recorded actions'}</td>
                    <RequireRole min="operator">
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={!c.draftable || create.isPending}
                          onClick={() =>
                            create.mutate(
                              { incidentIds: c.incidentIds },
                              { onSuccess: (r) => onCreated(r.docId) },
                            )
                          }
                        >
                          Draft runbook
                        </button>
                      </td>
                    </RequireRole>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </Panel>
  );
}

export function DocsPage() {
  // The open document is in the address (?doc=ID), so it can be shared.
  const [openId, setOpenId] = useUrlOffset('doc');
  const open = openId > 0 ? openId : null;
  const setOpen = (id: number | null) => setOpenId(id ?? 0);
  return (
    <>
      <div className="page-head">
        <h1>Docs</h1>
        <p className="muted">
          Knowledge base, architecture diagrams and snapshot diffs, generated documents and runbooks
          learned from incidents.
        </p>
      </div>
      {open !== null ? <DocView id={open} onClose={() => setOpen(null)} /> : null}
      <KnowledgeBase onOpen={setOpen} />
      <Architecture />
      <div className="grid-2">
        <Generate onCreated={setOpen} />
        <NewDoc onCreated={setOpen} />
      </div>
      <RunbookDrafts onCreated={setOpen} />
      <ImportGit />
    </>
  );
}
