// Security page, secrets part (securityGuardian, issue #7): findings of secrets scans, redacted
// (the server never returns a secret), filtered by severity, source (working tree or git
// history), rule and file — the filters and the page live in the URL so a view can be shared —
// and a form starting a secrets scan of a directory or repository under the server's scan roots.
import { useSearchParams } from 'react-router';
import type { ProcedureInput } from '../../api/generated';
import { useProcedureQuery } from '../../api/hooks';
import { Pagination } from '../../components/pagination';
import { MutationForm, Panel } from '../../components/procedure-panel';
import { Empty, QueryView } from '../../components/states';
import { Time } from '../../components/time';

const kPageSize = 25;
type Input = ProcedureInput<'securityGuardian.getSecretFindings'>;

/** URL parameter names, prefixed so they do not clash with other panels of the page. */
const P = {
  severity: 'secSeverity',
  source: 'secSource',
  rule: 'secRule',
  file: 'secFile',
  scan: 'secScan',
  offset: 'secOffset',
} as const;

export function SecretsPanel() {
  const [params, setParams] = useSearchParams();
  const severity = (params.get(P.severity) || undefined) as Input['severity'];
  const source = (params.get(P.source) || undefined) as Input['source'];
  const ruleId = params.get(P.rule) || undefined;
  const file = params.get(P.file) || undefined;
  const scanId = Number(params.get(P.scan)) || undefined;
  const offset = Number(params.get(P.offset) ?? 0) || 0;
  const input: Input = { limit: kPageSize, offset, severity, source, ruleId, file, scanId };
  const q = useProcedureQuery('securityGuardian.getSecretFindings', input);

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== P.offset) next.delete(P.offset);
    setParams(next);
  }

  return (
    <>
      <Panel
        title="Leaked secrets"
        actions={<code className="proc">securityGuardian.getSecretFindings</code>}
      >
        <form
          className="filters"
          role="search"
          aria-label="Secrets filters"
          onSubmit={(e) => e.preventDefault()}
        >
          <label>
            Severity
            <select value={severity ?? ''} onChange={(e) => setFilter(P.severity, e.target.value)}>
              <option value="">any</option>
              <option>critical</option>
              <option>high</option>
              <option>medium</option>
              <option>low</option>
            </select>
          </label>
          <label>
            Source
            <select value={source ?? ''} onChange={(e) => setFilter(P.source, e.target.value)}>
              <option value="">any</option>
              <option value="tree">working tree</option>
              <option value="history">git history</option>
            </select>
          </label>
          <label>
            Rule
            <input
              type="search"
              name="rule"
              defaultValue={ruleId}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setFilter(P.rule, (e.target as HTMLInputElement).value);
              }}
              onBlur={(e) => setFilter(P.rule, e.target.value)}
            />
          </label>
          <label>
            File
            <input
              type="search"
              name="file"
              defaultValue={file}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setFilter(P.file, (e.target as HTMLInputElement).value);
              }}
              onBlur={(e) => setFilter(P.file, e.target.value)}
            />
          </label>
          {scanId ? (
            <button type="button" className="btn btn-small" onClick={() => setFilter(P.scan, '')}>
              Scan {scanId} ×
            </button>
          ) : null}
        </form>
        <QueryView q={q} loadingLabel="Loading secrets findings">
          {(data) =>
            data.items.length === 0 ? (
              <Empty title="No secrets findings">
                {severity || source || ruleId || file || scanId
                  ? 'Nothing matches these filters.'
                  : 'Run a secrets scan of a directory or repository under the server’s scan roots.'}
              </Empty>
            ) : (
              <>
                <table className="table" aria-label="Secrets findings">
                  <thead>
                    <tr>
                      <th>Severity</th>
                      <th>Rule</th>
                      <th>Location</th>
                      <th>Secret (redacted)</th>
                      <th>Introduced</th>
                      <th>Scan</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((f) => (
                      <tr key={f.id}>
                        <td>
                          <span className={`sev sev-${f.severity}`}>{f.severity}</span>
                        </td>
                        <td title={f.description}>{f.ruleId}</td>
                        <td>
                          <code>
                            {f.file}:{f.line}
                          </code>
                        </td>
                        <td>
                          <code title={`fingerprint ${f.fingerprint}`}>{f.redacted}</code>
                        </td>
                        <td>
                          {f.commit ? (
                            <>
                              <code title={f.commit}>{f.commit.slice(0, 12)}</code>
                              {f.authorDate ? (
                                <>
                                  {' '}
                                  <Time iso={f.authorDate} />
                                </>
                              ) : null}
                            </>
                          ) : (
                            <span className="muted">working tree</span>
                          )}
                        </td>
                        <td>
                          <button
                            type="button"
                            className="link"
                            onClick={() => setFilter(P.scan, String(f.scanId))}
                          >
                            {f.scanId}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Pagination
                  offset={offset}
                  limit={kPageSize}
                  total={data.total}
                  onChange={(o) => setFilter(P.offset, o ? String(o) : '')}
                />
              </>
            )
          }
        </QueryView>
      </Panel>
      <MutationForm
        title="Scan for secrets"
        path="securityGuardian.scan"
        minRole="operator"
        submitLabel="Scan"
        fields={[
          { name: 'scanType', label: 'Type', type: 'select', options: ['secrets'] },
          { name: 'target', label: 'Directory or repository', required: true },
          { name: 'history', label: 'Include git history', type: 'checkbox' },
        ]}
      />
    </>
  );
}
