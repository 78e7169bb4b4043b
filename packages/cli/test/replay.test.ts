import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createClient } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';
import { readmeBlocks } from './support/readme.js';

const DAEMON = join(
  dirname(createRequire(import.meta.url).resolve('@cavra/daemon/package.json')),
  'dist',
  'cli.js',
);
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(removeTempDirs);

const PACK = `metadata: {id: team, version: 1.0.0}
filesystem:
  block_read: ["**/.env"]
commands:
  allow: ["npm test", "npm run *", "git *"]
  block: ["git push --force *", "rm -rf *"]
`;

/** Runs a real daemon in audit_only mode, has an agent make three requests through the client, and stops it. */
async function recordEvidence(dir: string): Promise<void> {
  await writeFile(join(dir, 'team.yaml'), PACK);
  await writeFile(
    join(dir, 'cavra-daemon.yaml'),
    'socket_path: run/d.sock\nevidence_log: evidence.jsonl\npolicy_packs: [team.yaml]\nmode: audit_only\n',
  );
  const daemon = spawn(process.execPath, [DAEMON, 'start', '--foreground', '--config', 'cavra-daemon.yaml'], {
    cwd: dir,
    stdio: 'ignore',
  });
  running.add(daemon);
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const client = createClient({ socketPath: join(dir, 'run', 'd.sock'), timeoutMs: 30_000 });
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if ((await client.health().catch(() => undefined))?.pid === daemon.pid) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const ask = (action_type: string, target: string, requested_operation: string) =>
    client.evaluate({
      session_id: 's-1',
      agent_id: 'codex',
      actor: 'dev@example.com',
      action_type,
      target,
      requested_operation,
      policy_pack: 'team',
    });
  const answers = [
    await ask('execute_command', 'npm test', 'npm test'),
    await ask(
      'execute_command',
      'curl https://example.com/install.sh',
      'curl https://example.com/install.sh',
    ),
    await ask('read_file', '.env', 'read'),
  ];
  expect(answers.map((answer) => answer.decision)).toEqual(['allow', 'audit_only', 'audit_only']);
  await client.close();
  daemon.kill('SIGTERM');
  await exited;
}

describe('cavra policy replay', () => {
  it("shows which of a daemon's recorded decisions a candidate pack would change, as the README says", async () => {
    const dir = tempDir();
    await recordEvidence(dir);
    const replay = await cavra(
      ['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'evidence.jsonl'],
      dir,
    );
    const shown = readmeBlocks().find((block) => block.info === 'text' && block.text.startsWith('replayed'));
    expect(replay).toEqual({ code: 0, stdout: shown?.text, stderr: '' });

    // The same decisions in the same mode: nothing changes; --fail-on-change turns a change into exit 1.
    const same = await cavra(
      ['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'evidence.jsonl', '--mode', 'audit_only'],
      dir,
    );
    expect(same.stdout).toBe(
      'replayed 3 record(s) of evidence.jsonl with team 1.0.0 (audit_only): 0 decision(s) would change\n',
    );
    const gate = await cavra(
      ['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'evidence.jsonl', '--fail-on-change'],
      dir,
    );
    expect(gate.code).toBe(1);

    // Records no pack decides are counted, not replayed (edited copies: replay reads, it does not verify).
    const log = readFileSync(join(dir, 'evidence.jsonl'), 'utf8');
    const first = JSON.parse(log.split('\n')[0] as string);
    const edited = [
      { ...first, seq: 4, authentication: 'rejected' },
      { ...first, seq: 5, decision: { ...first.decision, action_type: 'release_governance_record' } },
      {
        seq: 6,
        prev: first.hash,
        recorded_at: first.recorded_at,
        event: { type: 'client_refusal' },
        hash: first.hash,
      },
    ];
    await writeFile(
      join(dir, 'mixed.jsonl'),
      `${log}${edited.map((line) => JSON.stringify(line)).join('\n')}\n`,
    );
    const mixed = await cavra(['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'mixed.jsonl'], dir);
    expect(mixed.stdout.split('\n').slice(-4)).toEqual([
      'skipped 1: refused by runner authentication',
      'skipped 1: release_governance_record (not decided by a policy pack)',
      'skipped 1: client_refusal event (not a decision)',
      '',
    ]);

    // The same report as JSON: snake_case, decisions as the DecisionResponse.
    const asJson = await cavra(
      ['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'mixed.jsonl', '--json'],
      dir,
    );
    const report = JSON.parse(asJson.stdout);
    expect({
      ...report,
      pack: { ...report.pack, digest: report.pack.digest.slice(0, 7) },
      changed: report.changed.map(
        (entry: {
          seq: number;
          request: unknown;
          recorded: { decision: string };
          replayed: { decision: string };
        }) => [entry.seq, entry.request, entry.recorded.decision, entry.replayed.decision],
      ),
    }).toEqual({
      schema_version: 'cavra.cli.replay.v1',
      pack: { file: 'team.yaml', id: 'team', version: '1.0.0', digest: 'sha256:' },
      evidence: 'mixed.jsonl',
      mode: 'enforce',
      replayed: 3,
      changed: [
        [
          2,
          {
            action_type: 'execute_command',
            target: 'curl https://example.com/install.sh',
            requested_operation: 'curl https://example.com/install.sh',
          },
          'audit_only',
          'require_approval',
        ],
        [3, { action_type: 'read_file', target: '.env', requested_operation: 'read' }, 'audit_only', 'block'],
      ],
      rule_changed: [],
      skipped: {
        'client_refusal event (not a decision)': 1,
        'refused by runner authentication': 1,
        'release_governance_record (not decided by a policy pack)': 1,
      },
      torn_tail: false,
    });

    // A line being written when the log was read is skipped and said so; a broken line is named.
    await writeFile(join(dir, 'torn.jsonl'), `${log}{"seq":4,"prev`);
    const torn = await cavra(['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'torn.jsonl'], dir);
    expect(torn.stdout.split('\n').at(-2)).toBe(
      'skipped the last line: cut short (a write in progress or a crash)',
    );
    await appendFile(join(dir, 'torn.jsonl'), '\n');
    expect(await cavra(['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'torn.jsonl'], dir)).toEqual(
      {
        code: 4,
        stdout: '',
        stderr: expect.stringMatching(/^cavra: torn\.jsonl:4: not JSON \(.+\)\n$/),
      },
    );
  });
});

describe('cavra policy replay of a log with approvals', () => {
  it('replays decisions answered by approvals against the engine decision their request recorded', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'team.yaml'), PACK);
    const { publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'alice.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(
      join(dir, 'cavra-daemon.yaml'),
      [
        'socket_path: run/d.sock',
        'evidence_log: evidence.jsonl',
        'policy_packs: [team.yaml]',
        'approvals:',
        '  self_approval_at_keyboard: false',
        '  groups:',
        '    Repository Owners: { approvers: [{ id: alice@example.com, public_key: alice.pub.pem }] }',
        '',
      ].join('\n'),
    );
    const daemon = spawn(
      process.execPath,
      [DAEMON, 'start', '--foreground', '--config', 'cavra-daemon.yaml'],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    running.add(daemon);
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    const client = createClient({ socketPath: join(dir, 'run', 'd.sock'), timeoutMs: 30_000 });
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      if ((await client.health().catch(() => undefined))?.pid === daemon.pid) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const curl = 'curl https://example.com/install.sh';
    const answer = await client.evaluate({
      session_id: 's-1',
      agent_id: 'codex',
      actor: 'dev@example.com',
      action_type: 'execute_command',
      target: curl,
      requested_operation: curl,
      policy_pack: 'team',
    });
    expect([answer.decision, answer.rule_id]).toEqual(['block', 'approval.pending']);
    await client.close();
    daemon.kill('SIGTERM');
    await exited;
    const replay = await cavra(
      ['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'evidence.jsonl'],
      dir,
    );
    expect(replay).toEqual({
      code: 0,
      stdout: [
        'replayed 1 record(s) of evidence.jsonl with team 1.0.0 (enforce): 0 decision(s) would change',
        'skipped 1: approval_requested event (not a decision)',
        '',
      ].join('\n'),
      stderr: '',
    });
    // Without the request's event, the approval's answer is not compared with anything.
    const log = readFileSync(join(dir, 'evidence.jsonl'), 'utf8').split('\n');
    await writeFile(join(dir, 'cut.jsonl'), `${log.slice(1).join('\n')}`);
    expect(
      (await cavra(['policy', 'replay', '--pack', 'team.yaml', '--evidence', 'cut.jsonl'], dir)).stdout,
    ).toBe(
      [
        'replayed 0 record(s) of cut.jsonl with team 1.0.0 (enforce): 0 decision(s) would change',
        'skipped 1: answered by an approval whose request is not in this log',
        '',
      ].join('\n'),
    );
  });
});
