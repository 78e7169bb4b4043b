import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffJson, evalJson, lintJson, testJson } from '../src/render-json.js';
import { testJunit, xmlText } from '../src/render-junit.js';
import { lintText } from '../src/render-text.js';
import { diffPacks, evaluateRequest, lintPacks, lintPassed, runPolicyTests } from '../src/reports.js';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';

afterAll(removeTempDirs);

async function folder(files: Record<string, string>): Promise<string> {
  const dir = tempDir();
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return dir;
}

const PACK = `metadata: {id: team, version: 1.0.0}
commands:
  allow: ["npm *", "npm test", "rm -rf dist *"]
  block: ["rm -rf *"]
`;

describe('policy test results', () => {
  const TESTS = `tests:
  - name: unit tests
    request: {action_type: execute_command, target: npm test}
    expect: {decision: allow, rule_id: commands.allow}
  - name: "wipes <everything> & more"
    request: {action_type: execute_command, target: "rm -rf /"}
    expect: {decision: require_approval}
`;

  it('are a value; JSON and JUnit render it', async () => {
    const dir = await folder({ 'team.yaml': PACK, 'team.test.yaml': TESTS });
    const report = await runPolicyTests([dir]);
    const file = join(dir, 'team.test.yaml');
    expect({
      passed: report.passed,
      failed: report.failed,
      files: report.files.map((suite) => ({
        file: suite.file,
        pack: suite.pack,
        results: suite.results.map((result) => [result.name, result.passed, result.actual.decision]),
      })),
    }).toEqual({
      passed: 1,
      failed: 1,
      files: [
        {
          file,
          pack: { id: 'team', version: '1.0.0', file: join(dir, 'team.yaml') },
          results: [
            ['unit tests', true, 'allow'],
            ['wipes <everything> & more', false, 'block'],
          ],
        },
      ],
    });

    const json = testJson(report) as { files: { tests: { actual: Record<string, unknown> }[] }[] };
    expect(json).toMatchObject({
      schema_version: 'cavra.cli.test.v1',
      passed: 1,
      failed: 1,
      files: [
        {
          file,
          pack: { file: join(dir, 'team.yaml'), id: 'team', version: '1.0.0' },
          tests: [
            { name: 'unit tests', passed: true, expected: { decision: 'allow', rule_id: 'commands.allow' } },
            { name: 'wipes <everything> & more', passed: false, expected: { decision: 'require_approval' } },
          ],
        },
      ],
    });
    expect(json.files[0]?.tests[1]?.actual).toMatchObject({
      action_type: 'execute_command',
      target: 'rm -rf /',
      decision: 'block',
      rule_id: 'commands.block',
    });

    expect(testJunit(report)).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="cavra policy test" tests="2" failures="1">
  <testsuite name="${file}" tests="2" failures="1">
    <properties><property name="pack" value="team 1.0.0"/></properties>
    <testcase classname="${file}" name="unit tests"/>
    <testcase classname="${file}" name="wipes &lt;everything&gt; &amp; more">
      <failure message="expected require_approval, got block by commands.block" type="decision">expected: {&quot;decision&quot;:&quot;require_approval&quot;}
actual: decision block, rule commands.block, severity high, approver group &apos;&apos;
reason: command &apos;rm -rf /&apos; is blocked by pattern &apos;rm -rf *&apos; (commands.block[0])</failure>
    </testcase>
  </testsuite>
</testsuites>
`);
  });

  it('escape for XML what XML 1.0 cannot hold, so the document parses and nothing is lost', () => {
    expect(xmlText(`a<b>&"c'\u0007\u001b\ud800x\u{1f600}`)).toBe(
      'a&lt;b&gt;&amp;&quot;c&apos;\\u{7}\\u{1b}\\u{d800}x\u{1f600}',
    );
  });

  it('are chosen on the command line: --junit, --json, not both', async () => {
    const dir = await folder({ 'team.yaml': PACK, 'team.test.yaml': TESTS });
    const [junit, json, both] = await Promise.all([
      cavra(['policy', 'test', '--junit'], dir),
      cavra(['policy', 'test', '--json'], dir),
      cavra(['policy', 'test', '--json', '--junit'], dir),
    ]);
    expect([junit.code, junit.stdout.split('\n')[1]]).toEqual([
      1,
      '<testsuites name="cavra policy test" tests="2" failures="1">',
    ]);
    expect([json.code, JSON.parse(json.stdout).failed]).toEqual([1, 1]);
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: policy test: --json or --junit, not both',
    ]);
  });

  it('refuse an action type no pack decides, listing those that are, and test shipped packs by id', async () => {
    const dir = await folder({
      'typo.test.yaml': `pack: cavra-ai-agent-baseline
tests:
  - name: typo
    request: {action_type: execute_comand, target: ls}
    expect: {decision: allow}
`,
      'shipped.test.yaml': `pack: cavra-ai-agent-baseline
tests:
  - name: secrets stay unread
    request: {action_type: read_file, target: .env}
    expect: {decision: block}
`,
    });
    const [typo, shipped] = await Promise.all([
      cavra(['policy', 'test', 'typo.test.yaml'], dir),
      cavra(['policy', 'test', 'shipped.test.yaml'], dir),
    ]);
    expect([typo.code, typo.stderr]).toEqual([
      4,
      'cavra: typo.test.yaml: /tests/0/request/action_type (line 4, column 15): must be one of: read_file, write_file, execute_command, git_push, git_operation, mcp_tool_call, network_request\n',
    ]);
    expect([shipped.code, shipped.stdout.split('\n')[0]]).toEqual([
      0,
      expect.stringMatching(/^shipped\.test\.yaml \(pack cavra-ai-agent-baseline \S+, 1 tests\)$/),
    ]);
  });

  it('list in the schema exactly the action types a policy pack decides', async () => {
    const { POLICY_PACK_ACTION_TYPES } = await import('@cavra/runtime');
    const schema = (await import('../schema/policy-test.schema.json', { with: { type: 'json' } })).default;
    expect(schema.properties.tests.items.properties.request.properties.action_type.enum).toEqual(
      Object.keys(POLICY_PACK_ACTION_TYPES),
    );
  });
});

describe('lint acknowledgements', () => {
  const ACKED = `${PACK}lint:
  acknowledge:
    - {finding: shadowed, pattern: "npm test", reason: "listed for its own rule entry"}
    - finding: overridden
      pattern: "rm -rf dist *"
      reason: "kept to document intent: cleaning dist is asked for"
    - {finding: shadowed, pattern: "npm install", reason: stale}
`;

  it('pass acknowledged findings, list them with their reason, and fail an acknowledgement that covers nothing', async () => {
    const dir = await folder({ 'open.yaml': PACK, 'acked.yaml': ACKED });
    const report = await lintPacks([join(dir, 'open.yaml'), join(dir, 'acked.yaml')], []);
    const [open, acked] = report.packs as [(typeof report.packs)[number], (typeof report.packs)[number]];
    expect(open.findings.map((finding) => [finding.kind, finding.rule, finding.by])).toEqual([
      ['shadowed', 'commands.allow[1]', 'commands.allow[0]'],
      ['overridden', 'commands.allow[2]', 'commands.block[0]'],
    ]);
    expect([open.acknowledged, open.unused]).toEqual([[], []]);
    expect(acked.findings).toEqual([]);
    expect(acked.acknowledged.map((finding) => [finding.kind, finding.rule, finding.reason])).toEqual([
      ['shadowed', 'commands.allow[1]', 'listed for its own rule entry'],
      ['overridden', 'commands.allow[2]', 'kept to document intent: cleaning dist is asked for'],
    ]);
    expect(acked.unused).toEqual([
      { at: 'lint.acknowledge[2]', finding: 'shadowed', pattern: 'npm install', reason: 'stale' },
    ]);
    expect(lintPassed(report)).toBe(false);
    expect(
      lintText({ packs: [acked] }).replaceAll(dir, 'DIR'),
    ).toBe(`DIR/acked.yaml: 1 finding(s), 2 acknowledged
  unused acknowledgement: lint.acknowledge[2] (shadowed 'npm install') covers no finding
  acknowledged shadowed: commands.allow[1] 'npm test' by commands.allow[0] 'npm *': an earlier pattern of the same list matches it first (e.g. 'npm test')
    reason: listed for its own rule entry
  acknowledged overridden: commands.allow[2] 'rm -rf dist *' by commands.block[0] 'rm -rf *': a stricter list is checked first (e.g. 'rm -rf dist x')
    reason: kept to document intent: cleaning dist is asked for
`);
    expect(lintJson({ packs: [acked] }, false)).toEqual({
      schema_version: 'cavra.cli.lint.v1',
      passed: false,
      packs: [
        {
          file: join(dir, 'acked.yaml'),
          id: 'team',
          version: '1.0.0',
          digest: acked.digest,
          findings: [],
          acknowledged: [
            {
              kind: 'shadowed',
              rule: 'commands.allow[1]',
              pattern: 'npm test',
              by: 'commands.allow[0]',
              by_pattern: 'npm *',
              example: 'npm test',
              reason: 'listed for its own rule entry',
            },
            {
              kind: 'overridden',
              rule: 'commands.allow[2]',
              pattern: 'rm -rf dist *',
              by: 'commands.block[0]',
              by_pattern: 'rm -rf *',
              example: 'rm -rf dist x',
              reason: 'kept to document intent: cleaning dist is asked for',
            },
          ],
          unused_acknowledgements: [
            { at: 'lint.acknowledge[2]', finding: 'shadowed', pattern: 'npm install', reason: 'stale' },
          ],
        },
      ],
    });
  });

  it('exit 0 when every finding is acknowledged; an acknowledgement needs a reason', async () => {
    const covered = ACKED.replace(/ {4}- \{finding: shadowed, pattern: "npm install".*\n/, '');
    const dir = await folder({
      'covered.yaml': covered,
      'reasonless.yaml': `${PACK}lint: {acknowledge: [{finding: shadowed}]}\n`,
    });
    const [pass, reasonless] = await Promise.all([
      cavra(['policy', 'lint', 'covered.yaml'], dir),
      cavra(['policy', 'lint', 'reasonless.yaml'], dir),
    ]);
    expect([pass.code, pass.stdout.split('\n')[0]]).toEqual([0, 'covered.yaml: 2 acknowledged']);
    expect([reasonless.code, reasonless.stderr]).toEqual([
      3,
      "cavra: policy pack reasonless.yaml: invalid_pack: /lint/acknowledge/0 (line 5, column 22): must have required property 'reason'\n",
    ]);
  });
});

describe('diff', () => {
  it('names shipped packs by id and renders its report as JSON', async () => {
    const dir = await folder({
      'team.yaml': `metadata: {id: team, version: 1.0.0, inherits: cavra-ai-agent-baseline}
commands:
  block: ["npm publish *"]
`,
      'requests.yaml': '- {action_type: execute_command, target: npm publish --tag next}\n',
    });
    const report = await diffPacks({
      from: 'cavra-ai-agent-baseline',
      to: join(dir, 'team.yaml'),
      requests: join(dir, 'requests.yaml'),
    });
    const json = diffJson(report) as {
      changes: { path: string }[];
      from: object;
      to: object;
      requests: { changes: { from: { decision: string }; to: { decision: string } }[] };
    };
    // The shipped pack's own metadata (description, version) is not this test's business.
    const changes = json.changes.filter(
      (change) => !['metadata.description', 'metadata.version'].includes(change.path),
    );
    expect({
      ...json,
      changes,
      from: { ...json.from, version: '…', digest: '…' },
      to: { ...json.to, digest: '…' },
      requests: {
        ...json.requests,
        changes: json.requests.changes.map((change) => ({
          ...change,
          from: change.from.decision,
          to: change.to.decision,
        })),
      },
    }).toEqual({
      schema_version: 'cavra.cli.diff.v1',
      from: { file: 'cavra-ai-agent-baseline', id: 'cavra-ai-agent-baseline', version: '…', digest: '…' },
      to: { file: join(dir, 'team.yaml'), id: 'team', version: '1.0.0', digest: '…' },
      changes: [
        { path: 'commands.block', added: ['npm publish *'] },
        { path: 'metadata.id', from: 'cavra-ai-agent-baseline', to: 'team' },
        { path: 'metadata.inherits', added: ['cavra-ai-agent-baseline'] },
      ],
      requests: {
        file: join(dir, 'requests.yaml'),
        count: 1,
        changes: [
          {
            request: {
              action_type: 'execute_command',
              target: 'npm publish --tag next',
              requested_operation: 'npm publish --tag next',
            },
            from: 'require_approval',
            to: 'block',
          },
        ],
      },
    });
    const unknown = await cavra(['policy', 'diff', 'cavra-baseline', 'team.yaml'], dir);
    expect([unknown.code, unknown.stderr]).toEqual([
      3,
      `cavra: cavra-baseline: no such file, and not the id of a shipped pack (cavra-ai-agent-baseline, cavra-developer)\n`,
    ]);
  });
});

describe('eval', () => {
  const REQUEST = '{"action_type": "execute_command", "target": "rm -rf dist old"}';

  it('explains with the patterns that apply, every pattern with --all', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const report = await evaluateRequest({ pack: join(dir, 'team.yaml'), request: REQUEST, mode: 'enforce' });
    expect(report.explanation.tried.length).toBe(38);
    const shown = evalJson(report, { explain: true, all: false }) as { tried: unknown[]; enforced: unknown };
    expect([shown.tried, shown.enforced]).toEqual([
      [
        {
          list: 'commands.allow',
          index: 2,
          pattern: 'rm -rf dist *',
          matched: true,
          decisive: false,
          outcome: {
            decision: 'allow',
            rule_id: 'commands.allow',
            reason: "command allowed by pattern 'rm -rf dist *' (commands.allow[2])",
          },
        },
        {
          list: 'commands.block',
          index: 0,
          pattern: 'rm -rf *',
          matched: true,
          decisive: true,
          outcome: {
            decision: 'block',
            rule_id: 'commands.block',
            reason: "command 'rm -rf dist old' is blocked by pattern 'rm -rf *' (commands.block[0])",
          },
        },
      ],
      {
        decision: 'block',
        rule_id: 'commands.block',
        reason: "command 'rm -rf dist old' is blocked by pattern 'rm -rf *' (commands.block[0])",
      },
    ]);
    expect((evalJson(report, { explain: true, all: true }) as { tried: unknown[] }).tried.length).toBe(38);

    const [text, all] = await Promise.all([
      cavra(['eval', '--pack', 'team.yaml', '--explain', REQUEST], dir),
      cavra(['eval', '--pack', 'team.yaml', '--explain', '--all', REQUEST], dir),
    ]);
    expect(text.stdout).toBe(`block by commands.block (severity high, pack team 1.0.0)
  command 'rm -rf dist old' is blocked by pattern 'rm -rf *' (commands.block[0])
patterns that apply (2 of 38; --all lists every one), each alone:
  applies  commands.allow[2] 'rm -rf dist *': allow: command allowed by pattern 'rm -rf dist *' (commands.allow[2])
  decided  commands.block[0] 'rm -rf *': block: command 'rm -rf dist old' is blocked by pattern 'rm -rf *' (commands.block[0])
with no pattern applying: require_approval by commands.default.require_approval: command 'rm -rf dist old' is not on the allow list
`);
    expect(all.stdout.split('\n').slice(2, 5)).toEqual([
      'rules tried (38), each pattern alone:',
      "  no       filesystem.block_read[0] '/proc/*/environ': does not apply",
      "  no       filesystem.block_read[1] '**/proc/*/environ': does not apply",
    ]);
  });

  it('exits with the decision with --exit-code', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const decide = (request: string, ...options: string[]) =>
      cavra(['eval', '--pack', 'team.yaml', '--exit-code', ...options, request], dir);
    const runs = await Promise.all([
      decide('{"action_type": "execute_command", "target": "npm test"}'),
      decide(REQUEST),
      decide('{"action_type": "execute_command", "target": "make"}'),
      decide(REQUEST, '--mode', 'audit_only'),
      cavra(['eval', '--pack', 'team.yaml', REQUEST], dir),
    ]);
    expect(runs.map((run) => [run.code, run.stdout.split(' ')[0]])).toEqual([
      [0, 'allow'],
      [1, 'block'],
      [5, 'require_approval'],
      [7, 'audit_only'],
      [0, 'block'],
    ]);
  });
});

describe('keygen and sign', () => {
  it('carry the key id from keygen to the signature; metadata of another key is refused', async () => {
    const dir = await folder({ 'team.yaml': PACK });
    const keygen = (name: string, ...more: string[]) =>
      cavra(
        ['policy', 'keygen', '--private-key', `${name}.pem`, '--public-key', `${name}.pub.pem`, ...more],
        dir,
      );
    await keygen('a', '--key-id', 'platform-2026');
    await keygen('b');
    const signed = await cavra(
      ['policy', 'sign', 'team.yaml', '--private-key', 'a.pem', '--signer', 'ci'],
      dir,
    );
    expect(signed.stdout).toMatch(/^signed team\.yaml: team\.yaml\.sig\.json \(key_id platform-2026, /);
    const explicit = await cavra(
      ['policy', 'sign', 'team.yaml', '--private-key', 'a.pem', '--key-id', 'override'],
      dir,
    );
    expect(explicit.stdout).toMatch(/\(key_id override, /);
    // b's metadata beside a's key: the key id would name another key.
    await writeFile(join(dir, 'a.pem.json'), await readFile(join(dir, 'b.pem.json')));
    const mismatch = await cavra(['policy', 'sign', 'team.yaml', '--private-key', 'a.pem'], dir);
    expect([mismatch.code, mismatch.stderr]).toEqual([
      4,
      expect.stringMatching(
        /^cavra: a\.pem\.json: describes another key \(public_key_sha256 [0-9a-f]{64}, not [0-9a-f]{64}\)\n$/,
      ),
    ]);
    const shipped = await cavra(['policy', 'sign', 'cavra-ai-agent-baseline', '--private-key', 'b.pem'], dir);
    expect([shipped.code, shipped.stderr]).toEqual([
      2,
      'cavra: cavra-ai-agent-baseline: a shipped pack is part of the installed code; sign and verify take pack files\n',
    ]);
  });
});
