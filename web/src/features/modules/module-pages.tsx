// Pages of the modules that are not built yet: each calls its procedures and shows the
// server's answer. Module issues replace these with their own pages.
import type { ReactNode } from 'react';
import {
  MutationForm,
  Panel,
  ProcedureListPanel,
  ProcedureQueryPanel,
} from '../../components/procedure-panel';
import { Empty } from '../../components/states';

function PageHead({ title, lead }: { title: string; lead: string }) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      <p className="muted">{lead}</p>
    </div>
  );
}

function Grid({ children }: { children: ReactNode }) {
  return <div className="grid-2">{children}</div>;
}

export function CicdPage() {
  return (
    <>
      <PageHead title="CI/CD" lead="Pipelines, runs, flaky tests and optimisations." />
      <ProcedureListPanel title="Pipelines" path="cicdOrchestrator.listPipelines" />
      <Grid>
        <ProcedureQueryPanel
          title="Optimisations"
          path="cicdOrchestrator.getOptimizations"
          input={{}}
        />
        <MutationForm
          title="Trigger a run"
          path="cicdOrchestrator.triggerRun"
          minRole="operator"
          submitLabel="Trigger"
          fields={[
            { name: 'pipelineId', label: 'Pipeline id', type: 'number', required: true },
            { name: 'ref', label: 'Ref' },
          ]}
        />
      </Grid>
    </>
  );
}

export function DocsPage() {
  return (
    <>
      <PageHead title="Docs" lead="Generated documentation, runbooks and architecture diagrams." />
      <ProcedureListPanel title="Documents" path="documentationGenerator.listDocs" />
      <MutationForm
        title="Generate a document"
        path="documentationGenerator.generate"
        minRole="operator"
        submitLabel="Generate"
        fields={[
          {
            name: 'docType',
            label: 'Type',
            type: 'select',
            options: ['architecture', 'runbook', 'api', 'changelog', 'postmortem'],
          },
          { name: 'target', label: 'Target' },
        ]}
      />
    </>
  );
}

/** Pages whose server side has no procedure registered at all yet. */
function Unregistered({ title, lead, router }: { title: string; lead: string; router: string }) {
  return (
    <>
      <PageHead title={title} lead={lead} />
      <Panel title={title}>
        <div className="state state-notbuilt" data-testid="not-built">
          <div className="state-badge">Not built yet</div>
          <div className="state-title">
            No <code>{router}.*</code> procedure is registered on this server
          </div>
          <div className="state-body">
            This page fills in when the server exposes the {router} router.
          </div>
        </div>
      </Panel>
      <Empty title="No data is shown until the server provides it." />
    </>
  );
}

export function LogsPage() {
  return (
    <Unregistered
      title="Logs"
      lead="Log templates mined from your services, with their counts and anomalies."
      router="logs"
    />
  );
}
