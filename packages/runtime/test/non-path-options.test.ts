import { describe, expect, it } from 'vitest';
import { compilePolicyPack, parsePolicyPack } from '../src/index.js';
import { withoutNonPathOptions } from '../src/non-path-options.js';
import { exactEngine, request } from './support/engine.js';

// A production Kubernetes pack written for this test, deciding the cases of upstream's parity fixture
// (go/cavra-runtime/testdata/parity_cases.json, "kubernetes diff allows", "kubernetes prod apply blocks") as its
// pack does: reading a cluster is allowed, applying to prod is blocked, and writing a path under a `prod` folder
// needs approval.
const PACK = `
metadata: {id: k8s-prod-test, version: "1"}
filesystem:
  block_read: [".env", "**/kubeconfig"]
  require_approval_write: ["**/prod/**"]
commands:
  block: ["kubectl apply*prod*"]
  allow: ["kubectl diff*", "kubectl get*", "kubectl describe*", "oc get*", "helm diff*", "helm template*", "terraform plan*"]
`;
const engine = exactEngine([compilePolicyPack(parsePolicyPack(PACK))]);

function decide(command: string): [string, string] {
  const { decision, ruleId } = engine.evaluate(
    request('execute_command', command, { policy_pack: 'k8s-prod-test' }),
  );
  return [decision, ruleId];
}

describe('option values that name no file are not judged as paths', () => {
  it.each([
    'kubectl diff -f deploy.yaml --context prod',
    'kubectl diff -f deploy.yaml --context=prod',
    'kubectl get pods -n prod',
    'kubectl get pods --namespace prod',
    'kubectl get pods --namespace=prod -l app=prod',
    'kubectl get pods -nprod --selector tier=prod',
    'kubectl describe deployment web --context prod --namespace prod',
    'kubectl diff -f deploy.yaml --dry-run=server --cluster prod --user prod',
    'oc get pods -n prod --context prod',
    'helm diff upgrade web ./chart -n prod --kube-context prod --set image.tag=prod',
    'helm template web ./chart --namespace prod --set-string env=prod',
    'terraform plan -var env=prod -target module.prod',
  ])('%s is allowed', (command) => {
    expect(decide(command)).toEqual(['allow', 'commands.allow']);
  });

  it.each([
    // A path the command is given stays a path, whatever the other options say.
    ['kubectl diff -f prod/deploy.yaml --context prod', 'commands.allow'],
    ['kubectl get pods --kubeconfig .env', 'filesystem.read.block'],
    ['kubectl get pods -n prod --kubeconfig=config/kubeconfig', 'filesystem.read.block'],
    ['helm template web ./chart --output-dir prod/manifests', 'filesystem.write.require_approval'],
    ['kubectl diff -f deploy.yaml --log-file prod/diff.log', 'filesystem.write.require_approval'],
    // `--dry-run` alone takes no value: the next word is an operand, judged as ever.
    ['kubectl diff --dry-run --log-file prod/diff.log -f x.yaml', 'filesystem.write.require_approval'],
    // After `--`, words are operands, not option values.
    ['kubectl get pods -- --context .env', 'filesystem.read.block'],
    // The allow list sees the command as written, but the option value is still no path.
    ['FOO=1 kubectl get pods --context prod', 'commands.default.require_approval'],
    ['/usr/local/bin/kubectl get pods --context prod', 'commands.default.require_approval'],
    // Another program's --context is still read as a possible path.
    ['mytool --context prod', 'filesystem.write.require_approval'],
    ['kubectl apply -f deploy.yaml --context prod', 'commands.block'],
  ])('%s is decided by %s', (command, rule) => {
    expect(decide(command)[1]).toBe(rule);
  });

  it('drops only the options of the table and their values', () => {
    expect(
      withoutNonPathOptions(['kubectl', 'get', '-n', 'prod', '-f', 'x.yaml', '--context=prod', '-lapp=x']),
    ).toEqual(['kubectl', 'get', '-f', 'x.yaml']);
    expect(
      withoutNonPathOptions(['helm', 'install', 'web', './c', '--set-file', 'k=prod/v.txt', '--set', 'a=b']),
    ).toEqual(['helm', 'install', 'web', './c', '--set-file', 'k=prod/v.txt']);
    expect(withoutNonPathOptions(['terraform', 'plan', '-var-file=prod.tfvars', '-var=x=y'])).toEqual([
      'terraform',
      'plan',
      '-var-file=prod.tfvars',
    ]);
    expect(withoutNonPathOptions(['cat', '--context', 'prod'])).toEqual(['cat', '--context', 'prod']);
  });
});
