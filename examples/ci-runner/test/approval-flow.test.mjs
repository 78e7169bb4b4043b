import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The CI approval flow with real processes: a real daemon (approvals on, no self-approval at a keyboard, no wait),
// the real cavra-ci-step, the real `cavra approval approve`. The step runs `npm publish`, which the baseline pack
// sends to `Repository Owners`; a stub `npm` on the job's PATH stands for the real one.
const here = dirname(fileURLToPath(import.meta.url));
const STEP = join(here, '..', 'bin', 'cavra-ci-step.mjs');
const require = createRequire(import.meta.url);
const bin = (name) => join(dirname(require.resolve(`${name}/package.json`)), 'dist', 'cli.js');
const HMAC_SECRET = 'local-only-hmac-secret-0123456789abcdef';
const JOB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_WORKFLOW: 'Release',
  GITHUB_RUN_ID: '9001',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SHA: '4f2d9c1e7b3a5d8f0c6e2a4b9d7f1e3c5a8b0d2f',
  GITHUB_ACTOR: 'release-bot',
  GITHUB_JOB: 'publish',
};

function run(file, args, { cwd, env = {} } = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd, env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('a step that needs approval fails with the request id; after cavra approval approve, the re-run passes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-ci-appr-'));
  let stopDaemon = async () => {};
  // One hook, so that the daemon stops while its config still exists (node:test runs `after` hooks in the order they
  // were added: a folder removed first left the daemon running).
  t.after(async () => {
    await stopDaemon();
    await rm(dir, { recursive: true, force: true });
  });
  const keygen = await run(
    bin('@cavra/cli'),
    ['approval', 'keygen', '--out', 'alice.pem', '--as', 'alice@example.com'],
    {
      cwd: dir,
    },
  );
  assert.equal(keygen.code, 0, keygen.stderr);
  await writeFile(
    join(dir, 'cavra-daemon.yaml'),
    `socket_path: run/daemon.sock
evidence_log: evidence.jsonl
runner_auth:
  required: true
  hmac:
    keys: [{ key_id: ci-runner-local, secret_env: CAVRA_RUNNER_KEY }]
approvals:
  store: local
  wait_ms: 0
  self_approval_at_keyboard: false
  groups:
    Repository Owners:
      approvers: [{ id: alice@example.com, public_key: alice.pem.pub.pem }]
`,
  );
  const daemon = (...args) =>
    run(bin('@cavra/daemon'), [...args, '--config', 'cavra-daemon.yaml'], {
      cwd: dir,
      env: { CAVRA_RUNNER_KEY: HMAC_SECRET },
    });
  const started = await daemon('start');
  assert.equal(started.code, 0, started.stderr);
  stopDaemon = async () => {
    const stopped = await daemon('stop');
    assert.equal(stopped.code, 0, stopped.stderr);
  };
  const socket = join(dir, 'run', 'daemon.sock');
  // The job's PATH: a stub npm first, standing for the real publish.
  await mkdir(join(dir, 'job-bin'));
  await writeFile(join(dir, 'job-bin', 'npm'), '#!/bin/sh\necho "npm $*: published"\n');
  await chmod(join(dir, 'job-bin', 'npm'), 0o755);
  // Each run of the job is another attempt (GitHub's re-run), so its runner authentication is another signature.
  const step = (attempt) =>
    run(STEP, ['--auth', 'hmac', '--key-id', 'ci-runner-local', '--socket', socket, '--', 'npm', 'publish'], {
      cwd: dir,
      env: {
        ...JOB,
        GITHUB_RUN_ATTEMPT: String(attempt),
        CAVRA_RUNNER_KEY: HMAC_SECRET,
        PATH: `${join(dir, 'job-bin')}:${process.env.PATH}`,
      },
    });

  const first = await step(1);
  const id = /request (\S+)\n/.exec(first.stdout)?.[1];
  assert.ok(id, first.stdout + first.stderr);
  assert.deepEqual(
    [first.code, first.stdout],
    [
      5,
      `cavra: "npm publish" needs approval by 'Repository Owners': request ${id}
  an approver runs: cavra approval approve ${id} --key KEY --as ID
  then re-run this job: the approval lets this command through (scope once: one run)
`,
    ],
  );

  const approve = await run(
    bin('@cavra/cli'),
    ['approval', 'approve', id, '--key', 'alice.pem', '--as', 'alice@example.com', '--socket', socket],
    { cwd: dir },
  );
  assert.equal(approve.code, 0, approve.stderr);
  assert.match(approve.stdout, new RegExp(`^request ${id}: approved\n`));

  const rerun = await step(2);
  assert.deepEqual(
    [rerun.code, rerun.stdout],
    [0, 'cavra: allowed "npm publish" (approval.granted)\nnpm publish: published\n'],
  );
  // `once`: one run. The next run asks again.
  const third = await step(3);
  assert.equal(third.code, 5);

  // The evidence log holds the request, the review, the outcome and the grant's use.
  const events = (await readFile(join(dir, 'evidence.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map((record) => record.event?.type)
    .filter((type) => type?.startsWith('approval_'));
  assert.deepEqual(events.slice(0, 4), [
    'approval_requested',
    'approval_reviewed',
    'approval_outcome',
    'approval_grant_used',
  ]);
});
