// Security page, dependency part (securityGuardian, issue #6): the advisory database's age,
// scans with their severity counts, the selected scan's findings by severity and by package,
// and the patch preview of a finding (minimal fixing version, upgrade distance, risk).
import { useState } from 'react';
import type { ProcedureOutput } from '../../api/generated';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { Pagination, usePage } from '../../components/pagination';
import { MutationForm, Panel } from '../../components/procedure-panel';
import { Empty, ErrorState, QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { RequireRole } from '../../lib/session';

const kPageSize = 25;
const kSeverities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
type Severity = (typeof kSeverities)[number];
type Finding = ProcedureOutput<'securityGuardian.getVulnerabilities'>['items'][number];
type Scan = ProcedureOutput<'securityGuardian.getScans'>['items'][number];

interface PatchInfo {
  minimalFix?: string | null;
  distance?: string;
  crossesMajor?: boolean;
  riskScore?: number;
  breakingRisk?: string;
  rationale?: string;
  dependents?: number;
}

interface FindingExtra {
  dependencyPath?: string[];
  ignoredBy?: { policy: string; reason: string; expires: string | null };
}
function extraOf(f: Finding): FindingExtra {
  return (f.details as FindingExtra | null) ?? {};
}

function patchOf(f: Finding): PatchInfo {
  const d = f.details as { patch?: PatchInfo } | null;
  return d?.patch ?? {};
}

export function DatabaseAge() {
  const q = useProcedureQuery('securityGuardian.advisoryDatabase', {});
  return (
    <QueryView q={q} loadingLabel="Reading the advisory database">
      {(db) =>
        db.advisories === 0 ? (
          <p className="muted" data-testid="db-age">
            The advisory database is empty: import OSV data with{' '}
            <code>devops-ai db import FILE|DIR|ZIP</code>.
          </p>
        ) : (
          <p className="muted" data-testid="db-age">
            {db.advisories} advisories, imported{' '}
            {db.importedAt ? <Time iso={db.importedAt} /> : 'never'}
            {db.ageHours !== null ? ` (${db.ageHours} h old)` : ''}
            {db.newestModified ? `; newest advisory modified ${db.newestModified}` : ''}
          </p>
        )
      }
    </QueryView>
  );
}

function SeverityCounts({ scan }: { scan: Scan }) {
  return (
    <span className="sev-counts">
      {(['critical', 'high', 'medium', 'low'] as const).map((s) => {
        const n = scan[`${s}Count` as const];
        return n > 0 ? (
          <span key={s} className={`sev sev-${s}`} title={s}>
            {s} {n}
          </span>
        ) : null;
      })}
    </span>
  );
}

function ScanList({ selected, onSelect }: { selected?: number; onSelect: (id: number) => void }) {
  const { limit, offset, pager } = usePage('scansOffset');
  const q = useProcedureQuery('securityGuardian.getScans', { limit, offset });
  return (
    <Panel title="Scans" actions={<code className="proc">securityGuardian.getScans</code>}>
      <QueryView q={q} loadingLabel="Loading scans">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No scans yet">
              Scan an image tarball, a root filesystem, a repository or a lockfile.
            </Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Target</th>
                  <th>Kind</th>
                  <th>Status</th>
                  <th>Findings</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id} aria-selected={s.id === selected}>
                    <td>
                      <button type="button" className="link" onClick={() => onSelect(s.id)}>
                        {s.target}
                      </button>
                    </td>
                    <td>{s.scanType}</td>
                    <td>
                      {s.status}
                      {s.error ? <span className="muted"> — {s.error}</span> : null}
                    </td>
                    <td>
                      <SeverityCounts scan={s} />
                    </td>
                    <td>{s.createdAt ? <Time iso={s.createdAt} /> : null}</td>
                  </tr>
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

// Findings grouped by package: the groups page client-side (20 at a time, offset in the
// address); the grouping reads at most the first 1,000 findings of the scan and says so when
// the scan has more.
const kGroupedFindings = 1000;

function ByPackage({ scanId }: { scanId?: number }) {
  const q = useProcedureQuery('securityGuardian.getVulnerabilities', {
    scanId,
    limit: kGroupedFindings,
  });
  const { limit, offset, pager } = usePage('packagesOffset');
  return (
    <Panel title="Findings by package">
      <QueryView q={q} loadingLabel="Grouping findings">
        {(data) => {
          const groups = new Map<string, Record<Severity, number>>();
          for (const f of data.items) {
            const key = `${f.packageName}@${f.packageVersion}`;
            const g = groups.get(key) ?? { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
            g[f.severity] += 1;
            groups.set(key, g);
          }
          if (groups.size === 0) return <Empty title="No vulnerable packages" />;
          const rows = [...groups.entries()];
          return (
            <>
              {data.total > data.items.length ? (
                <p className="muted" data-testid="by-package-partial">
                  Grouped from the first {data.items.length.toLocaleString()} of{' '}
                  {data.total.toLocaleString()} findings; the findings list above has them all.
                </p>
              ) : null}
              <table className="table" data-testid="by-package">
                <thead>
                  <tr>
                    <th>Package</th>
                    {kSeverities.map((s) => (
                      <th key={s}>{s}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.slice(offset, offset + limit).map(([pkg, g]) => (
                    <tr key={pkg}>
                      <td>{pkg}</td>
                      {kSeverities.map((s) => (
                        <td key={s}>{g[s] || ''}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              {pager(rows.length)}
            </>
          );
        }}
      </QueryView>
    </Panel>
  );
}

// The change itself (securityGuardian.applyPatch as a dry run): a unified diff of the manifest
// or the package manager's command. Nothing is written to the scanned tree.
function ChangePreview({ vulnerabilityId }: { vulnerabilityId: number }) {
  const m = useProcedureMutation('securityGuardian.applyPatch', []);
  return (
    <div>
      <button
        type="button"
        onClick={() => m.mutate({ vulnerabilityId, dryRun: true })}
        disabled={m.isPending}
      >
        Show the change
      </button>
      {m.error ? <ErrorState error={m.error} title="No change available" /> : null}
      {m.data ? (
        <div data-testid="patch-change">
          {m.data.diff ? <pre className="diff">{m.data.diff}</pre> : null}
          {m.data.command ? (
            <p>
              Run: <code>{m.data.command}</code>
            </p>
          ) : null}
          {m.data.note ? <p className="muted">{m.data.note}</p> : null}
          <p className="muted">Preview only: the scanned files are not modified.</p>
          {m.data.diff ? <CreateBranch vulnerabilityId={vulnerabilityId} /> : null}
        </div>
      ) : null}
    </div>
  );
}

// securityGuardian.applyPatch with dryRun false: the change committed on a new branch
// devops-ai/fix-<package>-<version> of the scanned git repository (HEAD, the index and the work
// tree are not touched).
function CreateBranch({ vulnerabilityId }: { vulnerabilityId: number }) {
  const m = useProcedureMutation('securityGuardian.applyPatch', []);
  return (
    <div>
      <button
        type="button"
        onClick={() => m.mutate({ vulnerabilityId, dryRun: false })}
        disabled={m.isPending || Boolean(m.data)}
      >
        Commit on a new branch
      </button>
      {m.error ? <ErrorState error={m.error} title="No branch written" /> : null}
      {m.data?.branch ? (
        <p data-testid="patch-branch">
          Branch <code>{m.data.branch}</code> at commit <code>{m.data.commit?.slice(0, 12)}</code>{' '}
          in {m.data.repository}; your working tree and HEAD are unchanged.
        </p>
      ) : null}
    </div>
  );
}

function PatchPreview({ finding }: { finding: Finding }) {
  const p = patchOf(finding);
  return (
    <Panel title={`Patch preview: ${finding.packageName}`}>
      <dl className="kv" data-testid="patch-preview">
        <dt>Advisory</dt>
        <dd>
          {finding.vulnId}
          {finding.aliases.length ? ` (${finding.aliases.join(', ')})` : ''}
        </dd>
        <dt>Change</dt>
        <dd>
          {p.minimalFix ? (
            <code>
              {finding.packageName} {finding.packageVersion} → {p.minimalFix}
            </code>
          ) : (
            'no fixed version published'
          )}
        </dd>
        <dt>Upgrade distance</dt>
        <dd>
          {p.distance ?? 'unknown'}
          {p.crossesMajor ? ' (breaking by SemVer)' : ''}
        </dd>
        <dt>Risk of staying</dt>
        <dd>{p.riskScore ?? '—'} / 100</dd>
        <dt>Risk of upgrading</dt>
        <dd>{p.breakingRisk ?? '—'}</dd>
        <dt>Why</dt>
        <dd>{p.rationale ?? ''}</dd>
        <dt>Found in</dt>
        <dd>{finding.location ?? '—'}</dd>
        {extraOf(finding).dependencyPath ? (
          <>
            <dt>Dependency path</dt>
            <dd>{extraOf(finding).dependencyPath?.join(' > ')}</dd>
          </>
        ) : null}
        {extraOf(finding).ignoredBy ? (
          <>
            <dt>Ignored by policy</dt>
            <dd>
              {extraOf(finding).ignoredBy?.policy}: {extraOf(finding).ignoredBy?.reason}
              {extraOf(finding).ignoredBy?.expires
                ? ` (until ${extraOf(finding).ignoredBy?.expires})`
                : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <RequireRole min="operator">
        <ChangePreview vulnerabilityId={finding.id} />
      </RequireRole>
    </Panel>
  );
}

function Findings({ scanId }: { scanId?: number }) {
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [offset, setOffset] = useState(0);
  const [chosen, setChosen] = useState<Finding | null>(null);
  const q = useProcedureQuery('securityGuardian.getVulnerabilities', {
    scanId,
    severity: severity || undefined,
    limit: kPageSize,
    offset,
  });
  return (
    <>
      <Panel
        title={scanId ? `Findings of scan ${scanId}` : 'All findings'}
        actions={
          <label>
            Severity{' '}
            <select
              value={severity}
              onChange={(e) => {
                setSeverity(e.target.value as Severity | '');
                setOffset(0);
              }}
            >
              <option value="">any</option>
              {kSeverities.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        }
      >
        <QueryView q={q} loadingLabel="Loading findings">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No findings match" />
            ) : (
              <>
                <table className="table" data-testid="findings">
                  <thead>
                    <tr>
                      <th>Severity</th>
                      <th>Advisory</th>
                      <th>Package</th>
                      <th>Fixed in</th>
                      <th>Upgrade</th>
                      <th>Risk</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((f) => {
                      const p = patchOf(f);
                      return (
                        <tr key={f.id}>
                          <td>
                            <span className={`sev sev-${f.severity}`}>{f.severity}</span>
                            {f.cvssScore !== null ? ` ${f.cvssScore}` : ''}
                          </td>
                          <td>
                            <button type="button" className="link" onClick={() => setChosen(f)}>
                              {f.vulnId}
                            </button>
                            <div className="muted">{f.title}</div>
                          </td>
                          <td>
                            {f.packageName}@{f.packageVersion}
                            <div className="muted">{f.ecosystem}</div>
                          </td>
                          <td>{f.fixedVersion ?? '—'}</td>
                          <td>
                            {p.distance ?? '—'}
                            {p.crossesMajor ? ' ⚠' : ''}
                          </td>
                          <td>{p.riskScore ?? '—'}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                <Pagination
                  offset={offset}
                  limit={kPageSize}
                  total={data.total}
                  onChange={setOffset}
                />
              </>
            )
          }
        </QueryView>
      </Panel>
      {chosen ? <PatchPreview finding={chosen} /> : null}
    </>
  );
}

export function DependencySection() {
  const [scanId, setScanId] = useState<number | undefined>(undefined);
  return (
    <section aria-label="Dependencies and images">
      <DatabaseAge />
      <p className="muted">
        Target: an absolute path on the server to an image tarball (docker save / OCI), an OCI
        layout, a root filesystem, a repository or a lockfile.
      </p>
      <MutationForm
        title="Scan dependencies"
        path="securityGuardian.scan"
        minRole="operator"
        submitLabel="Scan"
        fields={[
          { name: 'scanType', label: 'Type', type: 'select', options: ['container'] },
          { name: 'target', label: 'Target', required: true },
        ]}
      />
      <ScanList selected={scanId} onSelect={setScanId} />
      <div className="grid-2">
        <Findings key={scanId ?? 0} scanId={scanId} />
        <ByPackage scanId={scanId} />
      </div>
    </section>
  );
}
