import { programName } from './inner-commands.js';

/**
 * kubectl global options, https://kubernetes.io/docs/reference/kubectl/kubectl/ : the kubeconfig context, cluster
 * and user to use, the namespace, the API server address, impersonation, the request timeout.
 */
const KUBECTL_OPTIONS = [
  '--context',
  '--cluster',
  '--user',
  '-n',
  '--namespace',
  '-s',
  '--server',
  '--as',
  '--as-group',
  '--as-uid',
  '--request-timeout',
  // kubectl get / delete / diff / apply, https://kubernetes.io/docs/reference/kubectl/generated/kubectl_get/ :
  // label and field selectors; --dry-run takes none, server or client, and only as `--dry-run=server`: alone
  // it means `unchanged` and the next word is an operand
  // (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_apply/); -c names a container
  // (https://kubernetes.io/docs/reference/kubectl/generated/kubectl_logs/).
  '-l',
  '--selector',
  '--field-selector',
  '--dry-run=',
  '-c',
  '--container',
];

/**
 * Options whose value names something that is not a file (a cluster context, a namespace, a label selector, a
 * chart value), by program: the engine reads every other option value as a path the command may read or write
 * (`--output x`, `--x=y`), so without this `kubectl diff -f deploy.yaml --context prod` would name a path `prod` and
 * meet a `**\/prod/**` approval pattern. Only options whose manual says the value is a name are listed; an option
 * not listed (`--kubeconfig`, `-f`, `--set-file`, `-o jsonpath-file=F`) is still read as a path.
 * Read as the programs read them (cobra / pflag for kubectl and helm, Go's flag package for terraform):
 * `--name value`, `--name=value`, `-n value`, `-nvalue`; an entry `--name=` takes its value only after `=` (a pflag
 * option with a default for no value).
 */
const NON_PATH_OPTIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['kubectl', KUBECTL_OPTIONS],
  // oc, OpenShift's CLI, takes kubectl's options,
  // https://docs.openshift.com/container-platform/4.17/cli_reference/openshift_cli/developer-cli-commands.html .
  ['oc', KUBECTL_OPTIONS],
  // helm global flags, https://helm.sh/docs/helm/helm/ : the kubeconfig context, namespace, API server and
  // impersonation; helm install / upgrade, https://helm.sh/docs/helm/helm_install/ : the chart version, values given
  // on the command line (`--set a.b=c`; `--set-file` reads files and is not listed), a description, a timeout.
  [
    'helm',
    [
      '--kube-context',
      '-n',
      '--namespace',
      '--kube-apiserver',
      '--kube-as-user',
      '--kube-as-group',
      '--version',
      '--set',
      '--set-string',
      '--set-json',
      '--description',
      '--timeout',
    ],
  ],
  // terraform plan / apply, https://developer.hashicorp.com/terraform/cli/commands/plan#planning-options : `-var
  // 'NAME=VALUE'` sets a variable (`-var-file` reads a file and is not listed); `-target` names a resource address.
  ['terraform', ['-var', '-target', '-lock-timeout', '-parallelism']],
  // OpenTofu reads the same options, https://opentofu.org/docs/cli/commands/plan/ .
  ['tofu', ['-var', '-target', '-lock-timeout', '-parallelism']],
]);

// `FOO=1 kubectl ...`: leading variable assignments come before the program.
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The command's words without the options of NON_PATH_OPTIONS and their values, so those values are not judged as
 * paths. Words after `--` are operands and stay. A program not in the table keeps every word.
 */
export function withoutNonPathOptions(words: readonly string[]): readonly string[] {
  let start = 0;
  while (start < words.length - 1 && ASSIGNMENT.test(words[start] as string)) start += 1;
  const command = words[start] ?? '';
  const options = NON_PATH_OPTIONS.get(programName(command.slice(command.lastIndexOf('/') + 1)));
  if (!options) return words;
  const kept = words.slice(0, start + 1);
  for (let index = start + 1; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--') {
      kept.push(...words.slice(index));
      break;
    }
    // An option written `--name=` in the table takes its value only after `=`: the next word is not its value.
    if (options.includes(word)) {
      index += 1;
      continue;
    }
    if (options.some((name) => joinedValue(word, name))) continue;
    kept.push(word);
  }
  return kept;
}

/** Whether the word is the option with its value in the same word: `--name=value`, `-nvalue`, `-name=value`. */
function joinedValue(word: string, name: string): boolean {
  if (name.endsWith('=')) return word.startsWith(name);
  if (word.startsWith(`${name}=`)) return true;
  return /^-[^-]$/.test(name) && word.length > 2 && word.startsWith(name);
}
