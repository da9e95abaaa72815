// Security (securityGuardian): dependency scans of images, root filesystems, repositories and
// lockfiles (issue #6), Kubernetes posture and compliance (issue #7), and the generic scan and
// compliance forms. Every scan type runs: compliance assesses the framework named as target.
// Admins also see the managed secrets and rotate them (managed-secrets-panel); everyone sees the
// vulnerability policies, admins edit them (policies-panel).
import { MutationForm } from '../../components/procedure-panel';
import { DependencySection } from './dependency-section';
import { ManagedSecretsPanel } from './managed-secrets-panel';
import { PoliciesPanel } from './policies-panel';
import { CompliancePanel, PosturePanel } from './posture-compliance';
import { SecretsPanel } from './secrets-panel';

export function SecurityPage() {
  return (
    <>
      <div className="page-head">
        <h1>Security</h1>
        <p className="muted">
          Vulnerable dependencies in images and repositories, secrets, Kubernetes posture and
          compliance.
        </p>
      </div>
      <DependencySection />
      <PoliciesPanel />
      <SecretsPanel />
      <ManagedSecretsPanel />
      <PosturePanel />
      <CompliancePanel />
      <div className="grid-2">
        <MutationForm
          title="Run a scan"
          path="securityGuardian.scan"
          minRole="operator"
          submitLabel="Start scan"
          fields={[
            {
              name: 'scanType',
              label: 'Type',
              type: 'select',
              options: ['container', 'kubernetes', 'secrets', 'compliance'],
            },
            {
              name: 'target',
              label: 'Target (server path; the framework for compliance)',
              required: true,
            },
          ]}
        />
        <MutationForm
          title="Check compliance"
          path="securityGuardian.checkCompliance"
          minRole="operator"
          submitLabel="Check"
          fields={[
            {
              name: 'framework',
              label: 'Framework',
              type: 'select',
              options: ['soc2', 'hipaa', 'pci_dss'],
            },
          ]}
        />
      </div>
    </>
  );
}
