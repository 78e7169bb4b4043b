import { createHash } from 'node:crypto';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/command-table.js';
import { CLI_VERSION } from '../src/version.js';
import { cavra, type Run, removeTempDirs, tempDir } from './support/cavra.js';

afterAll(removeTempDirs);

const PACK = `metadata: {id: team, version: 1.0.0}
commands:
  allow: ["npm test"]
git:
  block_push_branches: [main]
`;

async function folder(files: Record<string, string>): Promise<string> {
  const dir = tempDir();
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return dir;
}

describe('cavra policy test', () => {
  it('reports a failing test with what it expected and what it got, and exits 1', async () => {
    const dir = await folder({
      'team.yaml': PACK,
      'team.test.yaml': `mode: strict
tests:
  - name: unit tests
    request: {action_type: execute_command, target: npm test}
    expect: {decision: allow}
  - name: main is protected
    request: {action_type: git_push, target: main}
    expect: {decision: block, rule_id: "git.protected_branch.block_direct_push", severity: high, approver_group: ""}
`,
    });
    expect(await cavra(['policy', 'test', 'team.yaml'], dir)).toEqual({
      code: 1,
      stdout: `team.test.yaml (pack team 1.0.0, 2 tests)
  FAIL  unit tests
        expected: allow
        actual:   require_approval, by commands.allow, severity medium, approver group 'Repository Owners'
        reason:   strict mode requires approval for allow: command allowed by pattern 'npm test' (commands.allow[0])
  pass  main is protected
1 passed, 1 failed
`,
      stderr: '',
    });
  });

  it('exits 3 for a pack that does not load and 4 for a test file that is not valid, naming the path', async () => {
    const dir = await folder({
      'broken.yaml': 'metadata: {id: team, version: 1.0.0}\ncommands: {allow: npm test}\n',
      'broken.test.yaml':
        'tests:\n  - {name: a, request: {action_type: read_file, target: x}, expect: {decision: allow}}\n',
      'typo.yaml': PACK,
      'typo.test.yaml':
        'tests:\n  - {name: a, request: {action_type: read_file, targte: x}, expect: {decision: allow}}\n',
      'schema.yaml': PACK,
      'schema.test.yaml': 'tests:\n  - {name: a, request: {}, expect: {decision: maybe}}\n',
    });
    const [broken, typo, schema, none] = await Promise.all([
      cavra(['policy', 'test', 'broken.test.yaml'], dir),
      cavra(['policy', 'test', 'typo.test.yaml'], dir),
      cavra(['policy', 'test', 'schema.test.yaml'], dir),
      cavra(['policy', 'test', 'missing.yaml'], dir),
    ]);
    expect([broken.code, broken.stderr]).toEqual([
      3,
      'cavra: policy pack broken.yaml: invalid_pack: /commands/allow (line 2, column 12): must be array\n',
    ]);
    expect([typo.code, typo.stderr]).toEqual([
      4,
      'cavra: typo.test.yaml: /tests/0/request: invalid EvaluateRequest: targte: EvaluateRequest has no field "targte"\n',
    ]);
    expect([schema.code, schema.stderr]).toEqual([
      4,
      "cavra: schema.test.yaml: /tests/0/request (line 2, column 15): must have required property 'action_type'; /tests/0/expect/decision (line 2, column 37): must be one of: allow, block, require_approval, warn, audit_only, allow_with_attestation\n",
    ]);
    expect([none.code, none.stderr]).toEqual([4, 'cavra: missing.yaml: no such file or folder\n']);
  });
});

describe('cavra policy lint and diff', () => {
  it('finds overridden and shadowed rules in every kind of list', async () => {
    const dir = await folder({
      'wide.yaml': `metadata: {id: wide, version: "1"}
filesystem:
  block_write: ["infra/**"]
  require_approval_write: ["infra/prod/*.tf", "docs/**", "docs/api/*.md"]
mcp:
  allowlist_enabled: true
  allowed_servers: [github, pastebin]
  blocked_servers: [pastebin]
`,
    });
    expect(await cavra(['policy', 'lint', 'wide.yaml'], dir)).toEqual({
      code: 1,
      stdout: `wide.yaml: 3 finding(s)
  overridden: filesystem.require_approval_write[0] 'infra/prod/*.tf' by filesystem.block_write[0] 'infra/**': a stricter list is checked first (e.g. 'infra/prod/x.tf')
  shadowed: filesystem.require_approval_write[2] 'docs/api/*.md' by filesystem.require_approval_write[1] 'docs/**': an earlier pattern of the same list matches it first (e.g. 'docs/api/x.md')
  overridden: mcp.allowed_servers[1] 'pastebin' by mcp.blocked_servers[0] 'pastebin': a stricter list is checked first (e.g. 'pastebin')
`,
      stderr: '',
    });
  });

  // Linting cavra-developer decides the example of each of its 518 patterns with every pattern alone: about 270,000
  // engine decisions, 8 s of CPU on a quiet machine, and more than 120 s once on a loaded 2-core CI machine.
  it('takes shipped packs by id: both lint clean, and a diff lists each allow the child adds as a loosening', {
    timeout: 300_000,
  }, async () => {
    const dir = await folder({
      'team.yaml':
        'metadata: {id: team, version: "1", extends: cavra-ai-agent-baseline}\ncommands: {allow: ["git status"]}\n',
    });
    expect(await cavra(['policy', 'lint', 'cavra-ai-agent-baseline', 'cavra-developer'], dir)).toEqual({
      code: 0,
      stdout: 'cavra-ai-agent-baseline: no findings\ncavra-developer: no findings\n',
      stderr: '',
    });
    const diff = await cavra(['policy', 'diff', 'cavra-ai-agent-baseline', 'team.yaml'], dir);
    expect(diff.stdout.split('\n').filter((line) => line.includes('git status'))).toEqual([
      "  commands.allow: + 'git status'",
      "  metadata.loosens: + 'commands.allow: 'git status' is not allowed by parent cavra-ai-agent-baseline'",
    ]);
  });

  it('reports a new order as a change (rule ids move) and fails on changed decisions when asked', async () => {
    const dir = await folder({
      'a.yaml': 'metadata: {id: t, version: "1"}\ncommands: {allow: ["npm test", "npm run lint"]}\n',
      'b.yaml': 'metadata: {id: t, version: "1"}\ncommands: {allow: ["npm run lint", "npm test"]}\n',
      'requests.yaml': '- {action_type: execute_command, target: npm test}\n',
    });
    expect(
      await cavra(
        ['policy', 'diff', 'a.yaml', 'b.yaml', '--requests', 'requests.yaml', '--fail-on-change'],
        dir,
      ),
    ).toEqual({
      code: 1,
      stdout: `a.yaml (t 1) -> b.yaml (t 1): 1 setting(s) changed
  commands.allow: same patterns, new order (rule ids move)
over 1 request(s) from requests.yaml: 1 decision(s) change
  execute_command 'npm test': allow by commands.allow (commands.allow[0]) -> allow by commands.allow (commands.allow[1])
`,
      stderr: '',
    });
  });
});

describe('cavra eval', () => {
  it('reads the request from stdin and prints the DecisionResponse with --json', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const run = await cavra(
      ['eval', '--pack', 'team.yaml', '--json', '-'],
      dir,
      '{"action_type": "git_push", "target": "main", "actor": "dev@example.com"}',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      action_type: 'git_push',
      target: 'main',
      requested_operation: 'push',
      actor: 'dev@example.com',
      session_id: 'cavra-cli',
      policy_id: 'team',
      rule_id: 'git.protected_branch.block_direct_push',
      decision: 'block',
    });
  });

  it('refuses a request that is not JSON or breaks the contract, and a mode that does not exist', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const results = await Promise.all([
      cavra(['eval', '--pack', 'team.yaml', '{"action_type": '], dir),
      cavra(['eval', '--pack', 'team.yaml', '["read_file"]'], dir),
      cavra(['eval', '--pack', 'team.yaml', '--mode', 'lenient', '{}'], dir),
      cavra(['eval', '{}'], dir),
    ]);
    expect(
      results.map(({ code, stderr }) => [code, stderr.split('\n')[0]?.replace(/\(.*\)/, '(…)')]),
    ).toEqual([
      [4, 'cavra: request: not JSON (…)'],
      [4, 'cavra: request: a request must be an object'],
      [2, 'cavra: eval: --mode must be one of audit_only, enforce, strict, break_glass'],
      [2, 'cavra: eval: --pack is required'],
    ]);
  });
});

describe('cavra policy keygen, sign, verify', () => {
  it("verifies a pack signed with Python's cryptography library in upstream's format", async () => {
    const fixtures = fileURLToPath(new URL('../../runtime/test/fixtures/signatures/', import.meta.url));
    const dir = await folder({});
    for (const name of ['team-pack.yaml', 'team-pack.yaml.sig.json', 'python-signer.pub.pem']) {
      await copyFile(join(fixtures, name), join(dir, name));
    }
    expect(
      await cavra(['policy', 'verify', 'team-pack.yaml', '--public-key', 'python-signer.pub.pem'], dir),
    ).toEqual({
      code: 0,
      stdout:
        'verified team-pack.yaml: signed by key_id platform-security-2026 (signer platform-security) with python-signer.pub.pem\n',
      stderr: '',
    });
  });

  it('signs so that upstream verifies: the fields checked here the way upstream checks them', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const keygen = await cavra(
      ['policy', 'keygen', '--private-key', 'k.pem', '--public-key', 'k.pub.pem'],
      dir,
    );
    expect(keygen.code).toBe(0);
    const publicPem = await readFile(join(dir, 'k.pub.pem'));
    expect(JSON.parse(keygen.stdout)).toEqual({
      schema_version: 'cavra.policy-signing-keypair.v1',
      algorithm: 'Ed25519',
      key_id: 'local-policy-signing-key',
      private_key_path: join(dir, 'k.pem'),
      public_key_path: join(dir, 'k.pub.pem'),
      public_key_sha256: createHash('sha256').update(publicPem).digest('hex'),
    });
    expect((await stat(join(dir, 'k.pem'))).mode & 0o777).toBe(0o600);
    expect((await cavra(['policy', 'sign', 'team.yaml', '--private-key', 'k.pem'], dir)).code).toBe(0);
    const signature = JSON.parse(await readFile(join(dir, 'team.yaml.sig.json'), 'utf8'));
    expect(signature).toMatchObject({
      schema_version: 'cavra.policy-signature.v1',
      algorithm: 'Ed25519',
      digest: `sha256:${createHash('sha256').update(PACK).digest('hex')}`,
      signer: 'local',
      // The key id keygen recorded beside the key (k.pem.json), which sign reads.
      key_id: 'local-policy-signing-key',
      public_key_sha256: createHash('sha256').update(publicPem).digest('hex'),
      policy_file: 'team.yaml',
    });
    // What the daemon would load: validate with the key.
    expect(
      (await cavra(['policy', 'validate', 'team.yaml', '--public-key', 'k.pub.pem'], dir)).stdout,
    ).toMatch(/^team\.yaml: valid \(team 1\.0\.0, 36 patterns, sha256:[0-9a-f]{64}, signed\)\n$/);
  });

  it('refuses to overwrite keys, to sign an invalid pack, and a signature by a key not given', async () => {
    const dir = await folder({ 'team.yaml': PACK, 'bad.yaml': 'metadata: {id: Bad}\n' });
    await cavra(['policy', 'keygen', '--private-key', 'a.pem', '--public-key', 'a.pub.pem'], dir);
    await cavra(['policy', 'keygen', '--private-key', 'b.pem', '--public-key', 'b.pub.pem'], dir);
    await cavra(['policy', 'sign', 'team.yaml', '--private-key', 'a.pem', '--key-id', 'alice'], dir);
    const results = await Promise.all([
      cavra(['policy', 'keygen', '--private-key', 'a.pem', '--public-key', 'c.pub.pem'], dir),
      cavra(['policy', 'sign', 'bad.yaml', '--private-key', 'a.pem'], dir),
      cavra(['policy', 'verify', 'team.yaml', '--public-key', 'b.pub.pem'], dir),
      cavra(['policy', 'verify', 'team.yaml'], dir),
      cavra(['policy', 'validate', 'bad.yaml', '--public-key', 'a.pub.pem'], dir),
      cavra(['policy', 'sign', 'team.yaml', '--private-key', 'a.pub.pem'], dir),
    ]);
    expect(results.map(({ code, stderr }) => [code, stderr.split('\n')[0]?.replace(/ \(.*$/, '')])).toEqual([
      [4, 'cavra: a.pem: already exists; keys are never overwritten'],
      [3, 'cavra: policy pack bad.yaml: invalid_pack: /metadata'],
      [
        1,
        expect.stringMatching(
          /^cavra: policy pack team\.yaml: untrusted_key: team\.yaml\.sig\.json: signed by key [0-9a-f]{64}$/,
        ),
      ],
      [2, 'cavra: policy verify: --public-key is required'],
      [3, 'cavra: policy pack bad.yaml: unsigned: no signature file bad.yaml.sig.json'],
      [4, 'cavra: policy signing key a.pub.pem: invalid_key: not a PEM private key'],
    ]);
  });
});

describe('usage', () => {
  it('exits 2 for an unknown command or option, with the usage that applies on stderr', async () => {
    const dir = await folder({});
    const [unknown, option, bare, top] = await Promise.all([
      cavra(['policy', 'compile', 'x.yaml'], dir),
      cavra(['policy', 'lint', '--fix', 'x.yaml'], dir),
      cavra(['policy'], dir),
      cavra(['evaluate'], dir),
    ]);
    const lines = (run: Run) => [run.code, run.stdout, ...run.stderr.split('\n').slice(0, 3)];
    expect(lines(unknown)).toEqual([
      2,
      '',
      'cavra: unknown command "policy compile"',
      '',
      `cavra ${CLI_VERSION}: policy, approval and fleet tooling for CAVRA`,
    ]);
    expect(lines(option)).toEqual([
      2,
      '',
      "cavra: policy lint: Unknown option '--fix'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--fix\"",
      '',
      'usage: cavra policy lint PACK... [--public-key KEY]... [--json]',
    ]);
    expect(lines(bare)).toEqual([
      2,
      '',
      'cavra: policy: a subcommand is required',
      '',
      `cavra ${CLI_VERSION}: policy, approval and fleet tooling for CAVRA`,
    ]);
    expect(lines(top).slice(0, 3)).toEqual([2, '', 'cavra: unknown command "evaluate"']);
    // The policy group's usage lists only policy commands.
    expect(bare.stderr).not.toContain('cavra eval --pack');
  });

  it('prints help for every command with --help and -h, exit 0: usage, options, an example', async () => {
    const dir = await folder({});
    const names = Object.keys(COMMANDS);
    const runs = await Promise.all(
      names.flatMap((name) => [
        cavra([...name.split(' '), '--help'], dir),
        cavra([...name.split(' '), '-h'], dir),
      ]),
    );
    names.forEach((name, index) => {
      const [help, short] = [runs[2 * index], runs[2 * index + 1]] as [Run, Run];
      expect([help.code, help.stderr, short.stdout]).toEqual([0, '', help.stdout]);
      expect(help.stdout.split('\n')[0]).toBe(
        `usage: cavra ${name} ${COMMANDS[name as keyof typeof COMMANDS].args}`,
      );
      expect(help.stdout).toContain('\noptions:\n');
      expect(help.stdout).toContain(`\nexample:\n  ${COMMANDS[name as keyof typeof COMMANDS].example}\n`);
    });
    const [top, policy, helpSign] = await Promise.all([
      cavra(['--help'], dir),
      cavra(['policy', '--help'], dir),
      cavra(['help', 'policy', 'sign'], dir),
    ]);
    expect(helpSign.stdout).toBe(runs[2 * names.indexOf('policy sign')]?.stdout);
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect([top.code, top.stdout.split('\n')[0]]).toEqual([
      0,
      `cavra ${version}: policy, approval and fleet tooling for CAVRA`,
    ]);
    expect([
      policy.code,
      policy.stdout.includes('cavra policy lint'),
      policy.stdout.includes('cavra eval --pack'),
    ]).toEqual([0, true, false]);
    expect(await cavra(['eval', '--help'], dir)).toEqual({
      code: 0,
      stdout: `usage: cavra eval --pack PACK [--mode MODE] [--explain [--all]] [--json] [--exit-code] REQUEST

decide one request (JSON text, or - for stdin)

options:
  --pack PACK  the pack (a file or a shipped pack id)
  --mode MODE  runtime mode: enforce (default), audit_only, strict, break_glass
  --explain    show the rule that decided and the patterns that apply, each tried alone
  --all        with --explain: every pattern, also those that do not apply
  --json       print the DecisionResponse (with --explain: {decision, enforced, tried, fallback})
  --exit-code  exit with the decision: 0 allow, 1 block, 5 require_approval, 6 warn, 7 audit_only, 8 allow_with_attestation
  -h, --help   print this help

example:
  cavra eval --pack team.yaml --explain '{"action_type": "execute_command", "target": "npm test"}'

exit codes: 0 ok, 1 a check failed (approval: the daemon refused; fleet: NATS refused; its code printed), 2 usage,
  3 invalid pack, 4 other invalid input (eval --exit-code: the decision, see cavra eval --help)
`,
      stderr: '',
    });
  });
});
