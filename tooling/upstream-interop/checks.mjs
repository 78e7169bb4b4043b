// The interop checks of tooling/upstream-interop/run.sh, against a user's own build of upstream CAVRA's Go runtime
// (`go/cavra-runtime` of an upstream checkout). Nothing of upstream's is copied here: its binary and its fixture files
// are read from the checkout given. Prints one line per check, then a summary; exits 1 when a check fails.
//
//   node checks.mjs --binary <built cavra-runtime> --upstream <checkout> --work <scratch dir>
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { toRuntimeRequest } from '@cavra/contracts';
import { resolveDaemonConfig, startDaemon, verifyEvidenceLog } from '@cavra/daemon';
import { createClient, withRunnerAuth } from '@cavra/daemon-client';
import { createReleaseGovernanceEvaluator } from '@cavra/release-governance';
import { createEngine, loadMcpTrustRegistryFile, loadPolicyPackFile, SHIPPED_PACK_IDS } from '@cavra/runtime';
import { parse } from 'yaml';

const run = promisify(execFile);
const { values } = parseArgs({
  options: { binary: { type: 'string' }, upstream: { type: 'string' }, work: { type: 'string' } },
});
const { binary, upstream, work } = values;
if (!binary || !upstream || !work) {
  process.stderr.write('usage: node checks.mjs --binary FILE --upstream DIR --work DIR\n');
  process.exit(2);
}
const testdata = join(upstream, 'go/cavra-runtime/testdata');
const cli = new URL('../../packages/daemon/dist/cli.js', import.meta.url).pathname;

// Keys of this run only: the HMAC secrets both sides are configured with (ours need 32 bytes or more).
const RUNNER_KEY = 'upstream-interop-runner-key-0123456789abcdef';
const EVIDENCE_KEY = 'upstream-interop-evidence-key-0123456789abcdef';
const IDENTITY = {
  provider: 'github-actions',
  repository: 'acme/app',
  workflow: 'ci',
  run_id: '7',
  actor: 'octocat',
};

// Commands we decide more strictly by design (the runtime README's deliberate differences): a compound command is
// judged part by part, so an allowed first part does not allow what follows it.
const STRICTER_BY_DESIGN = new Set(['custom scan; rm -rf /', 'terraform plan; rm -rf /']);

const counts = { PASS: 0, FAIL: 0, KNOWN: 0, NOTE: 0 };
/**
 * One line per check: PASS, FAIL, KNOWN (a documented difference, listed in the README) or NOTE (upstream's own
 * binary disagrees with upstream's own fixture: a fact about the checkout, not about us; it does not fail the run).
 */
function report(status, group, name, detail) {
  counts[status] += 1;
  process.stdout.write(`${status.padEnd(5)} ${group}: ${name}${detail ? ` (${detail})` : ''}\n`);
}
const outcome = (d) => `${d.decision} ${d.rule_id}`;

// The request kinds our client sends (contract fields only), the minimal form an agent hook sends: no
// requested_operation where the action type says it, an MCP call as its proto target `server:tool`.
const BASE = { session_id: 'interop', agent_id: 'interop-agent', actor: 'dev@example.com' };
const REQUESTS = {
  'read_file .env': { action_type: 'read_file', target: '.env' },
  'read_file README.md': { action_type: 'read_file', target: 'README.md' },
  'write_file workflow': { action_type: 'write_file', target: '.github/workflows/ci.yml' },
  'write_file iam': { action_type: 'write_file', target: 'iam/admin-role.tf' },
  'write_file src': { action_type: 'write_file', target: 'src/app.ts' },
  'execute_command terraform plan': { action_type: 'execute_command', target: 'terraform plan' },
  'execute_command terraform apply': {
    action_type: 'execute_command',
    target: 'terraform apply -auto-approve',
  },
  'execute_command rm -rf': { action_type: 'execute_command', target: 'rm -rf /tmp/important' },
  'git_operation push main': {
    action_type: 'git_operation',
    target: 'origin/main',
    requested_operation: 'push',
  },
  'git_operation push feature': {
    action_type: 'git_operation',
    target: 'origin/feature',
    requested_operation: 'push',
  },
  'mcp_tool_call github-mcp': {
    action_type: 'mcp_tool_call',
    target: 'github-mcp:create_pull_request',
    requested_operation: 'create_pull_request',
  },
  release_governance_record: {
    action_type: 'release_governance_record',
    target: 'prod',
    requested_operation: 'verify',
    release_governance: {
      metadata_kind: 'rollout-promotion-execution',
      approval_state: 'approved',
      approval_id: 'apr_interop',
    },
  },
};
// What upstream's own client may be given besides: its legacy and MCP keys. Its contract struct has no field for
// them, so `cavra-runtime --daemon` drops them before sending: our daemon decides what it is sent.
const UPSTREAM_FORMS = {
  'legacy operation push main': { action_type: 'git_operation', target: 'origin/main', operation: 'push' },
  'mcp server/tool/capability': {
    action_type: 'mcp_tool_call',
    server: 'github-mcp',
    tool: 'create_pull_request',
    capability: 'repository',
  },
};

const json = (value) => JSON.stringify(value);
async function inputFile(name, value) {
  const path = join(work, `${name.replace(/[^\w.-]+/g, '_')}.json`);
  await writeFile(path, json(value));
  return path;
}

/** Runs upstream's binary; its JSON output parsed, or undefined with the error when it failed. */
async function go(args) {
  try {
    const { stdout } = await run(binary, args, { timeout: 20000 });
    return { output: JSON.parse(stdout) };
  } catch (error) {
    // --verify-evidence prints its report and exits 1 on an invalid log.
    try {
      return { output: JSON.parse(error.stdout) };
    } catch {
      return { error: `exit ${error.code ?? '?'}: ${(error.stderr || error.message).trim().split('\n')[0]}` };
    }
  }
}

/** Starts `cavra-runtime --serve` and waits for its socket. */
async function serveGo(name, extra) {
  const socket = join(work, `${name}.sock`);
  const child = spawn(binary, ['--serve', '--socket', socket, ...extra], { stdio: 'ignore' });
  for (let waited = 0; !existsSync(socket); waited += 50) {
    if (waited > 10000 || child.exitCode !== null) throw new Error(`upstream daemon ${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { socket, stop: () => child.kill('SIGTERM') };
}

// Release-governance records are decided by the evaluator our daemon adds to its engine.
const evaluators = [createReleaseGovernanceEvaluator()];

/**
 * Each request through `cavra-runtime --policy <pack>` and through our engine with the same pack file: decision,
 * rule, severity, approver group and policy id compared.
 */
async function bothEngines(label, packFile, requests) {
  const group = `same request + pack, both engines (${label})`;
  let engine;
  try {
    engine = createEngine({ packs: [await loadPolicyPackFile(packFile)], evaluators });
  } catch (error) {
    report('FAIL', group, 'the pack loads in our engine', error.message.split('\n')[0]);
    return;
  }
  for (const [name, request] of Object.entries(requests)) {
    const { output, error } = await go([
      '--policy',
      packFile,
      '--input',
      await inputFile(`pack-${name}`, request),
    ]);
    let mine;
    try {
      mine = engine.evaluate(toRuntimeRequest(request, { strict: true }));
    } catch (failure) {
      report('FAIL', group, name, `ours: ${failure.message}`);
      continue;
    }
    if (error) {
      report('FAIL', group, name, `Go: ${error}`);
      continue;
    }
    const theirs = [
      output.decision,
      output.rule_id,
      output.severity,
      output.approver_group ?? '',
      output.policy_id,
    ];
    const ourSide = [mine.decision, mine.ruleId, mine.severity, mine.approverGroup ?? '', mine.policyId];
    const same = json(theirs) === json(ourSide);
    const status = same ? 'PASS' : STRICTER_BY_DESIGN.has(request.target) ? 'KNOWN' : 'FAIL';
    report(
      status,
      group,
      name,
      same ? theirs.join(' ') : `Go ${theirs.join(' ')} / ours ${ourSide.join(' ')}`,
    );
  }
}

const goEvidence = join(work, 'go-evidence.jsonl');
const goPlain = await serveGo('go-plain', [
  '--registry',
  join(testdata, 'mcp_registry.json'),
  '--evidence-log',
  goEvidence,
  '--evidence-signing-key',
  EVIDENCE_KEY,
  '--evidence-signing-key-id',
  'interop-evidence',
]);
const goAuth = await serveGo('go-auth', ['--runner-auth-key', RUNNER_KEY, '--runner-auth-key-id', 'interop']);

const env = { CAVRA_INTEROP_RUNNER_KEY: RUNNER_KEY, CAVRA_INTEROP_EVIDENCE_KEY: EVIDENCE_KEY };
const ours = await startDaemon(
  resolveDaemonConfig(
    {
      socket_path: 'ours.sock',
      evidence_log: 'ours-evidence.jsonl',
      mcp_registry: join(testdata, 'mcp_registry.json'),
      evidence_signing: { key_id: 'interop-evidence', secret_env: 'CAVRA_INTEROP_EVIDENCE_KEY' },
      runner_auth: {
        required: false,
        hmac: {
          keys: [
            { key_id: 'interop', secret_env: 'CAVRA_INTEROP_RUNNER_KEY', scheme: 'cavra.runner-auth.v1' },
          ],
        },
      },
    },
    { baseDir: work },
  ),
  { env },
);
const oursSocket = join(work, 'ours.sock');
let oursOpen = true;
const closeOurs = async () => {
  if (oursOpen) {
    oursOpen = false;
    await ours.close();
  }
};

try {
  // 1. Our client (protocol 'upstream') -> upstream's daemon: every request kind gets a decision.
  const client = createClient({ socketPath: goPlain.socket, protocol: 'upstream' });
  for (const [name, request] of Object.entries(REQUESTS)) {
    try {
      report(
        'PASS',
        'our client -> Go daemon',
        name,
        outcome(await client.evaluate({ ...BASE, ...request })),
      );
    } catch (error) {
      report('FAIL', 'our client -> Go daemon', name, `${error.code}: ${error.message}`);
    }
  }
  await client.close();
  const signed = (secret) =>
    withRunnerAuth(
      createClient({ socketPath: goAuth.socket, protocol: 'upstream' }),
      { hmac: { keyId: 'interop', secret, scheme: 'cavra.runner-auth.v1' } },
      { identity: IDENTITY },
    );
  for (const [name, secret, rejected] of [
    ['runner auth (upstream HMAC) accepted', RUNNER_KEY, false],
    ['runner auth with a wrong key refused', `${RUNNER_KEY}-wrong`, true],
  ]) {
    const authed = signed(secret);
    try {
      const answer = await authed.evaluate({ ...BASE, ...REQUESTS['read_file README.md'] });
      const ok = (answer.rule_id === 'runner_auth.invalid') === rejected;
      report(ok ? 'PASS' : 'FAIL', 'our client -> Go daemon', name, outcome(answer));
    } catch (error) {
      report('FAIL', 'our client -> Go daemon', name, `${error.code}: ${error.message}`);
    } finally {
      await authed.close();
    }
  }

  // 2. Upstream's client (`cavra-runtime --daemon`) -> our daemon.
  const claims = await inputFile('claims', IDENTITY);
  const goClient = async (name, request, auth = []) =>
    go(['--daemon', '--socket', oursSocket, '--input', await inputFile(`req-${name}`, request), ...auth]);
  for (const [name, request] of Object.entries({ ...REQUESTS, ...UPSTREAM_FORMS })) {
    const { output, error } = await goClient(name, { ...BASE, ...request });
    const ok = output?.decision && output.session_id === BASE.session_id;
    const dropped = name in UPSTREAM_FORMS ? ", upstream's client dropped the key" : '';
    report(
      ok ? (dropped ? 'KNOWN' : 'PASS') : 'FAIL',
      'Go client -> our daemon',
      name,
      error ?? `${outcome(output)}${dropped}`,
    );
  }
  for (const [name, key, rejected] of [
    ['runner auth (upstream HMAC) verified', RUNNER_KEY, false],
    ['runner auth with a wrong key refused', `${RUNNER_KEY}-wrong`, true],
  ]) {
    const auth = [
      '--runner-auth-claims',
      claims,
      '--runner-auth-key',
      key,
      '--runner-auth-key-id',
      'interop',
    ];
    const { output, error } = await goClient(
      `auth-${rejected}`,
      { ...BASE, ...REQUESTS['read_file README.md'] },
      auth,
    );
    const ok = output && (output.rule_id === 'runner_auth.invalid') === rejected;
    report(ok ? 'PASS' : 'FAIL', 'Go client -> our daemon', name, error ?? outcome(output));
  }

  // 3. The same request and the same pack file through both engines: upstream's compiled policy fixture.
  const compiled = join(testdata, 'compiled_policy.json');
  const packRequests = {
    ...REQUESTS,
    ...UPSTREAM_FORMS,
    'read custom secret': { action_type: 'read_file', target: 'config/prod.secret' },
    'write protected': { action_type: 'write_file', target: 'protected/a.txt' },
    'custom scan': { action_type: 'execute_command', target: 'custom scan --check' },
    'dangerous mutate': { action_type: 'execute_command', target: 'dangerous mutate all' },
    'compound after allowed': { action_type: 'execute_command', target: 'custom scan; rm -rf /' },
    'mcp blocked server': {
      action_type: 'mcp_tool_call',
      server: 'personal-drive-mcp',
      tool: 'read_file',
      capability: 'filesystem',
    },
    'mcp allowed server': { action_type: 'mcp_tool_call', server: 'github-enterprise', tool: 'search' },
  };
  await bothEngines('compiled_policy.json', compiled, packRequests);

  // 4. Upstream's parity fixture, each case with its pack from the checkout's policies/, through our engine and
  // (for reference) through upstream's own binary.
  const packFiles = [];
  const policies = join(upstream, 'policies');
  if (!existsSync(policies)) report('FAIL', 'upstream packs', 'policies/ is missing from the checkout');
  for (const entry of existsSync(policies) ? await readdir(policies, { withFileTypes: true }) : []) {
    const file = join(upstream, 'policies', entry.name, 'policy.yaml');
    if (entry.isDirectory() && existsSync(file)) packFiles.push(file);
  }
  // A parent named by a shipped pack's id is our shipped pack (the runtime README): the checkout's file of that id
  // cannot stand in the search folders, so parents are looked up in a folder of links to the other packs only.
  const parents = join(work, 'parents');
  await mkdir(parents);
  const packs = [];
  for (const file of packFiles) {
    const id = file.split('/').at(-2);
    if (!SHIPPED_PACK_IDS.includes(id)) await symlink(file, join(parents, `${id}.yaml`));
  }
  for (const file of packFiles) {
    const name = file.slice(upstream.length + 1);
    try {
      packs.push(await loadPolicyPackFile(file));
    } catch (error) {
      if (error.code !== 'shadows_shipped_pack') {
        report('FAIL', 'upstream pack loads', name, error.message.split('\n')[0]);
        continue;
      }
      packs.push(await loadPolicyPackFile(file, { searchDirs: [parents] }));
      report(
        'KNOWN',
        'upstream pack loads',
        name,
        'inherits a shipped id: our shipped pack of that id is its parent',
      );
    }
  }
  // Each pack of the checkout that inherits nothing, in upstream's compiled form (its lists as they stand in the
  // YAML: the shape `cavra policy compile` writes and `--policy` reads), through both engines with the parity
  // requests that name it (registry cases aside: the registry decides those, below).
  const parityCases = JSON.parse(await readFile(join(testdata, 'parity_cases.json'), 'utf8'));
  for (const file of packFiles) {
    const pack = parse(await readFile(file, 'utf8'));
    if (pack?.metadata?.inherits || pack?.metadata?.extends) continue;
    const compiledPack = join(work, `compiled-${pack.metadata.id}.json`);
    await writeFile(
      compiledPack,
      json({
        metadata: pack.metadata,
        filesystem: pack.filesystem ?? {},
        commands: { block: pack.commands?.block ?? [], allow: pack.commands?.allow ?? [] },
        mcp: pack.mcp ?? {},
      }),
    );
    const requests = Object.fromEntries(
      parityCases
        .filter((item) => item.request.policy_pack === pack.metadata.id && !item.registry)
        .map((item) => [item.name, { ...item.request, policy_pack: undefined }]),
    );
    if (pack.metadata.id === 'cavra-ai-agent-baseline') {
      Object.assign(requests, REQUESTS, {
        'compound after allowed': { action_type: 'execute_command', target: 'terraform plan; rm -rf /' },
      });
    }
    await bothEngines(`${pack.metadata.id}, compiled`, compiledPack, requests);
  }

  const registry = await loadMcpTrustRegistryFile(join(testdata, 'mcp_registry.json'));
  const engines = {
    plain: createEngine({ packs, evaluators }),
    registry: createEngine({ packs, evaluators, mcpRegistry: registry }),
  };
  const fixture = async (file, group) => {
    const cases = JSON.parse(await readFile(join(testdata, file), 'utf8'));
    for (const item of cases) {
      const expected = item.expected;
      const compare = (d) =>
        ['decision', 'rule_id', 'severity', 'approver_group'].every(
          (key) => expected[key] === undefined || expected[key] === d[key],
        ) &&
        (expected.evidence_ref_prefix === undefined ||
          d.evidence_refs?.[0]?.startsWith(expected.evidence_ref_prefix));
      try {
        const decision = (item.registry ? engines.registry : engines.plain).evaluate(
          toRuntimeRequest(item.request, { strict: true }),
        );
        const d = {
          decision: decision.decision,
          rule_id: decision.ruleId,
          severity: decision.severity,
          approver_group: decision.approverGroup || undefined,
          evidence_refs: decision.evidenceRefs,
        };
        report(
          compare(d) ? 'PASS' : 'FAIL',
          `${group}, our engine`,
          item.name,
          `${outcome(d)} ${d.severity}`,
        );
      } catch (error) {
        report('FAIL', `${group}, our engine`, item.name, error.message.split('\n')[0]);
      }
      const registryArgs = item.registry ? ['--registry', join(testdata, item.registry)] : [];
      const { output, error } = await go([
        ...registryArgs,
        '--input',
        await inputFile(`fixture-${item.name}`, item.request),
      ]);
      report(
        output && compare(output) ? 'PASS' : 'NOTE',
        `${group}, upstream's binary`,
        item.name,
        error ?? `${outcome(output)} ${output.severity}`,
      );
    }
  };
  await fixture('parity_cases.json', 'parity fixture');
  await fixture('release_governance_records.json', 'release-governance records fixture');
  await fixture('release_governance_contracts.json', 'release-governance contracts fixture');

  // 5. Evidence both ways.
  const keyFile = join(work, 'evidence.key');
  await writeFile(keyFile, EVIDENCE_KEY, { mode: 0o600 });
  const goLog = await verifyEvidenceLog(goEvidence, {
    key: { secret: Buffer.from(EVIDENCE_KEY), keyId: 'interop-evidence' },
  });
  report(
    goLog.ok && goLog.format === 'upstream' ? 'PASS' : 'FAIL',
    'evidence',
    "Go daemon's signed log verified by our verifier",
    `${goLog.records} records, ${goLog.signedRecords} signatures${goLog.ok ? '' : `, ${goLog.problems.map((p) => `line ${p.line} ${p.problem}`).join(', ')}`}`,
  );
  await closeOurs();
  const ourLog = join(work, 'ours-evidence.jsonl');
  const exported = join(work, 'ours-exported.jsonl');
  const { stdout } = await run(process.execPath, [
    cli,
    'evidence',
    'export',
    ourLog,
    '--format',
    'upstream',
    '--key-file',
    keyFile,
    '--key-id',
    'interop-evidence',
  ]);
  await writeFile(exported, stdout);
  const goVerify = async (file) =>
    go([
      '--verify-evidence',
      '--evidence-log',
      file,
      '--evidence-signing-key',
      EVIDENCE_KEY,
      '--evidence-signing-key-id',
      'interop-evidence',
    ]);
  const exportedReport = await goVerify(exported);
  report(
    exportedReport.output?.valid ? 'PASS' : 'FAIL',
    'evidence',
    "our log, exported --format upstream, verified by Go's --verify-evidence",
    exportedReport.error ??
      `${exportedReport.output.records} records, ${exportedReport.output.signed_records} signatures`,
  );
  const rawReport = await goVerify(ourLog);
  report(
    rawReport.output?.valid === false ? 'KNOWN' : 'FAIL',
    'evidence',
    "our log as written is not upstream's format: Go's --verify-evidence refuses it (export it first)",
    rawReport.error ?? `valid: ${rawReport.output.valid}, first error: ${rawReport.output.errors?.[0]}`,
  );
} finally {
  goPlain.stop();
  goAuth.stop();
  await closeOurs();
}

const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
process.stdout.write(
  `\n${total} checks: ${counts.PASS} pass, ${counts.FAIL} fail, ${counts.KNOWN} known differences, ${counts.NOTE} notes on upstream's binary\n`,
);
// Exit now rather than when the event loop drains: the verdict is complete, and a handle left by a package must not
// turn a finished run into a hang.
process.exit(counts.FAIL > 0 ? 1 : 0);
