// Kubernetes posture (scan manifests pasted here; failures by workload) and compliance by
// framework (run an assessment; per-control pass / fail / not assessed with its evidence).
import { useState } from 'react';
import { useProcedureMutation, useProcedureQuery } from '../../api/hooks';
import { usePage } from '../../components/pagination';
import { RequireRole } from '../../lib/session';
import { useUrlParam } from '../../lib/url-state';

interface PostureFailure {
  check: string;
  severity: string;
  kind: string;
  name: string;
  namespace: string;
  container: string;
  message: string;
  remediation: string;
}
interface PostureObject {
  kind: string;
  name: string;
  namespace: string;
  failed: number;
  passed: number;
  worst: string | null;
}
interface PostureReport {
  objects: number;
  failed: number;
  passed: number;
  objectsSummary: PostureObject[];
  failures: PostureFailure[];
  errors: string[];
}
interface ControlRow {
  id: string;
  title: string;
  status: 'pass' | 'fail' | 'not_assessed';
  evidence: string[];
  previousStatus: string | null;
}

const frameworks = ['cis_kubernetes', 'nsa_cisa', 'soc2', 'hipaa', 'pci_dss'] as const;
type Framework = (typeof frameworks)[number];

export function PosturePanel() {
  const [text, setText] = useState('');
  const scan = useProcedureMutation('securityGuardian.scanManifests', ['securityGuardian']);
  const report = (scan.data as { report?: PostureReport } | undefined)?.report;
  return (
    <section className="panel" aria-label="Kubernetes posture">
      <h2>Kubernetes posture</h2>
      <RequireRole min="operator">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            scan.mutate({ manifests: text, name: 'pasted manifests' });
          }}
        >
          <label>
            Manifests (YAML, several documents allowed)
            <textarea
              value={text}
              rows={8}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
            />
          </label>
          <button type="submit" disabled={!text.trim() || scan.isPending}>
            Check posture
          </button>
        </form>
      </RequireRole>
      {scan.error && <p role="alert">{scan.error.message}</p>}
      {report && (
        <>
          <p>
            {report.objects} object(s): {report.failed} failed, {report.passed} passed checks
          </p>
          <table>
            <caption>Posture by workload</caption>
            <thead>
              <tr>
                <th>Object</th>
                <th>Namespace</th>
                <th>Failed</th>
                <th>Worst</th>
              </tr>
            </thead>
            <tbody>
              {report.objectsSummary.map((o) => (
                <tr key={`${o.kind}/${o.namespace}/${o.name}`}>
                  <td>
                    {o.kind}/{o.name}
                  </td>
                  <td>{o.namespace || '(none)'}</td>
                  <td>{o.failed}</td>
                  <td>{o.worst ?? 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table>
            <caption>Failed checks</caption>
            <thead>
              <tr>
                <th>Severity</th>
                <th>Check</th>
                <th>Object</th>
                <th>Finding</th>
                <th>Remediation</th>
              </tr>
            </thead>
            <tbody>
              {report.failures.map((f, i) => (
                <tr key={i}>
                  <td>{f.severity}</td>
                  <td>{f.check}</td>
                  <td>
                    {f.kind}/{f.name}
                    {f.container ? ` [${f.container}]` : ''}
                  </td>
                  <td>{f.message}</td>
                  <td>{f.remediation}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function CompliancePanel() {
  // The framework and the controls' page are in the address (?framework=soc2&controlsOffset=50).
  const [frameworkParam, setFramework] = useUrlParam('framework', 'cis_kubernetes', [
    'controlsOffset',
  ]);
  const framework: Framework = frameworks.find((f) => f === frameworkParam) ?? 'cis_kubernetes';
  const { limit, offset, pager } = usePage('controlsOffset', 50, 'Controls pages');
  const reports = useProcedureQuery('securityGuardian.getComplianceReports', {
    framework,
    limit: 10,
  });
  const check = useProcedureMutation('securityGuardian.checkCompliance', ['securityGuardian']);
  const latestId = check.data?.id ?? reports.data?.items[0]?.id;
  const detail = useProcedureQuery(
    'securityGuardian.getComplianceReport',
    { id: latestId ?? 1 },
    { enabled: latestId !== undefined },
  );
  const controls = ((detail.data?.report as { controls?: ControlRow[] } | undefined)?.controls ??
    []) as ControlRow[];
  return (
    <section className="panel" aria-label="Compliance">
      <h2>Compliance</h2>
      <label>
        Framework{' '}
        <select value={framework} onChange={(e) => setFramework(e.target.value)}>
          {frameworks.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </label>
      <RequireRole min="operator">
        <button
          type="button"
          onClick={() => check.mutate({ framework })}
          disabled={check.isPending}
        >
          Assess now
        </button>
      </RequireRole>
      {(check.error ?? reports.error) && (
        <p role="alert">{(check.error ?? reports.error)?.message}</p>
      )}
      {reports.data && reports.data.items.length === 0 && !check.data && (
        <p className="muted">No report for {framework} yet.</p>
      )}
      {detail.data && (
        <>
          <p>
            Report {detail.data.id} ({detail.data.generatedAt}): score{' '}
            {detail.data.score === null ? 'n/a' : `${Math.round(detail.data.score)}%`},{' '}
            {detail.data.passedControls} pass, {detail.data.failedControls} fail,{' '}
            {detail.data.totalControls - detail.data.passedControls - detail.data.failedControls}{' '}
            not assessed
          </p>
          <table>
            <caption>Controls</caption>
            <thead>
              <tr>
                <th>Control</th>
                <th>Title</th>
                <th>Status</th>
                <th>Previous</th>
                <th>Evidence</th>
              </tr>
            </thead>
            <tbody>
              {controls.slice(offset, offset + limit).map((c) => (
                <tr key={c.id}>
                  <td>{c.id}</td>
                  <td>{c.title}</td>
                  <td className={`status-${c.status}`}>{c.status.replace('_', ' ')}</td>
                  <td>{c.previousStatus ?? ''}</td>
                  <td>{c.evidence.join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {pager(controls.length)}
        </>
      )}
    </section>
  );
}
