// Pages of the modules that are not built yet: each calls its procedures and shows the
// server's answer. Module issues replace these with their own pages.
import type { ReactNode } from 'react';
import {
  MutationForm,
  ProcedureListPanel,
  ProcedureQueryPanel,
} from '../../components/procedure-panel';

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
