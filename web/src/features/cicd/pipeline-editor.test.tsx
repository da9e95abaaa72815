// The pipeline editor against the tRPC stub: the graph shows jobs and needs; a cycle is refused
// with its path; needs are added by selection and by dragging a handle onto a job; a job is
// added, renamed (its dependants follow) and its step edited; export sends the edited
// definition and shows the server's YAML; YAML loads back into the graph; Save writes it.
import { describe, expect, it } from 'vitest';
import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { stubTrpc, trpcError } from '../../testing/stub-trpc';
import { renderWithSession } from '../../testing/render';
import { PipelineEditor } from './pipeline-editor';
import type { DagDefinition } from './dag';

configure({ asyncUtilTimeout: 8000 });

const job = (id: string, needs: string[] = []) => ({
  id,
  name: id,
  needs,
  runsOn: 'ubuntu-latest',
  image: '',
  timeoutMinutes: 30,
  steps: [{ name: 'run', argv: ['make', id] }],
  caches: [],
});
const definition: DagDefinition = {
  name: 'calc',
  branches: ['main'],
  jobs: [job('build'), job('test', ['build']), job('deploy', ['test'])],
};

function needsOf(input: unknown, id: string): string[] | undefined {
  const d = (input as { definition: DagDefinition }).definition;
  return d.jobs.find((j) => j.id === id)?.needs;
}

describe('PipelineEditor', () => {
  it('edits the DAG, refuses a cycle, and round-trips through the exporter', async () => {
    const stub = stubTrpc({
      'cicdOrchestrator.exportPipeline': (input) => {
        const i = input as { definition?: DagDefinition; yaml?: string; format?: string };
        if (i.yaml !== undefined) {
          if (!i.yaml.includes('jobs:')) throw trpcError('BAD_REQUEST', 'yaml: no jobs');
          return {
            format: 'github',
            yaml: i.yaml,
            definition: { ...definition, jobs: [job('lint'), job('unit', ['lint'])] },
          };
        }
        const d = i.definition as DagDefinition;
        return {
          format: i.format,
          yaml: `# ${i.format}\n${d.jobs.map((j) => `${j.id}: [${j.needs.join(',')}]`).join('\n')}\n`,
          definition: d,
        };
      },
      'cicdOrchestrator.updatePipeline': (input) => ({
        id: 3,
        definition: (input as { definition: unknown }).definition,
      }),
    });
    renderWithSession(<PipelineEditor pipelineId={3} definition={definition} />, {
      role: 'operator',
    });
    expect(screen.getByTestId('node-build')).toBeTruthy();
    expect(screen.getByTestId('edge-build-test')).toBeTruthy();
    expect(screen.getByTestId('edge-test-deploy')).toBeTruthy();

    // Select "build" and tick "deploy" as its need: a cycle, refused and named.
    fireEvent.click(screen.getByTestId('node-build'));
    const panel = screen.getByTestId('dag-job-panel');
    fireEvent.click(within(panel).getByLabelText('deploy'));
    expect(screen.getByTestId('dag-refusal').textContent).toBe(
      '"build" cannot need "deploy": that would be a cycle (build → deploy → test → build)',
    );
    expect(screen.queryByTestId('edge-deploy-build')).toBeNull();

    // Add a job, rename it, give it a command, and make deploy need it by dragging its handle.
    fireEvent.click(screen.getByText('Add job'));
    expect(screen.getByTestId('node-job')).toBeTruthy();
    const idInput = within(screen.getByTestId('dag-job-panel')).getByLabelText('Job id');
    fireEvent.change(idInput, { target: { value: 'lint' } });
    fireEvent.blur(idInput);
    expect(screen.getByTestId('node-lint')).toBeTruthy();
    const cmd = within(screen.getByTestId('dag-job-panel')).getByLabelText('Step 1 command');
    fireEvent.change(cmd, { target: { value: `npx eslint 'src dir'` } });
    fireEvent.blur(cmd);
    fireEvent.mouseDown(screen.getByTestId('handle-lint'), { clientX: 0, clientY: 0 });
    // jsdom has no layout: the drop is hit-tested at the target node's own coordinates.
    const deployRect = screen.getByTestId('node-deploy').querySelector('rect')!;
    const x = Number(deployRect.getAttribute('x')) + 5;
    const y = Number(deployRect.getAttribute('y')) + 5;
    fireEvent.mouseUp(screen.getByRole('img', { name: 'Pipeline graph' }), {
      clientX: x,
      clientY: y,
    });
    expect(screen.getByTestId('edge-lint-deploy')).toBeTruthy();
    // Remove the test → deploy need by its ×.
    fireEvent.click(screen.getByRole('button', { name: 'Remove need deploy on test' }));
    expect(screen.queryByTestId('edge-test-deploy')).toBeNull();

    // Export as GitLab CI: the edited definition goes to the server, its YAML is shown.
    fireEvent.change(screen.getByLabelText('Export format'), { target: { value: 'gitlab' } });
    fireEvent.click(screen.getByText('Export YAML'));
    await waitFor(() =>
      expect(screen.getByTestId('dag-yaml').textContent).toContain('deploy: [lint]'),
    );
    const sent = stub.callsTo('cicdOrchestrator.exportPipeline')[0]!.input as {
      definition: DagDefinition;
      format: string;
    };
    expect(sent.format).toBe('gitlab');
    expect(needsOf(sent, 'deploy')).toEqual(['lint']);
    expect(sent.definition.jobs.find((j) => j.id === 'lint')?.steps[0]?.argv).toEqual([
      'npx',
      'eslint',
      'src dir',
    ]);

    // Save writes the definition to the pipeline.
    fireEvent.click(screen.getByText('Save'));
    await waitFor(() => expect(stub.callsTo('cicdOrchestrator.updatePipeline')).toHaveLength(1));
    const saved = stub.callsTo('cicdOrchestrator.updatePipeline')[0]!.input as {
      id: number;
      definition: DagDefinition;
    };
    expect(saved.id).toBe(3);
    expect(saved.definition.jobs.map((j) => j.id)).toEqual(['build', 'test', 'deploy', 'lint']);

    // Load YAML: a refusal is shown; a workflow replaces the graph.
    fireEvent.change(screen.getByLabelText('Workflow YAML'), { target: { value: 'on: push' } });
    fireEvent.click(screen.getByText('Load'));
    await waitFor(() => expect(screen.getByText('yaml: no jobs')).toBeTruthy());
    fireEvent.change(screen.getByLabelText('Workflow YAML'), {
      target: { value: 'jobs:\n  lint: {}\n' },
    });
    fireEvent.click(screen.getByText('Load'));
    await waitFor(() => expect(screen.getByTestId('edge-lint-unit')).toBeTruthy());
    expect(screen.queryByTestId('node-build')).toBeNull();
  });

  it('hides Save from viewers', () => {
    stubTrpc({});
    renderWithSession(<PipelineEditor pipelineId={3} definition={definition} />, {
      role: 'viewer',
    });
    expect(screen.queryByText('Save')).toBeNull();
    expect(screen.getByText('Export YAML')).toBeTruthy();
  });
});
