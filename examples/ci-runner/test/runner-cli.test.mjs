import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadDaemonConfig } from '@cavra/daemon';
import { ReleaseDescriptorError, releaseEvidence } from '../src/release-evidence.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(here, '..', 'bin', 'cavra-ci-runner.mjs');
const RELEASE_FILE = join(here, '..', 'release.json');
const release = JSON.parse(await readFile(RELEASE_FILE, 'utf8'));

async function runner(args, env = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [RUNNER, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

test('release.json becomes the seven typed records, one per kind', () => {
  assert.deepEqual(
    releaseEvidence(release).map((e) => [e.metadata_kind, e.release_channel, e.release_version]),
    [
      ['release-channel-promotion-request', 'stable', 'v1.4.0'],
      ['release-connector-delivery', 'stable', 'v1.4.0'],
      ['endpoint-inventory-freshness-report', 'stable', 'v1.4.0'],
      ['rollout-evidence-verification', 'stable', 'v1.4.0'],
      ['rollout-artifact-integrity', 'stable', 'v1.4.0'],
      ['rollout-promotion-audit-export', 'stable', 'v1.4.0'],
      ['rollout-rollback-audit-export', 'stable', 'v1.4.0'],
    ],
  );
});

test('a bad descriptor names every problem by section and field', () => {
  const { version: _version, ...rest } = release;
  assert.throws(
    () =>
      releaseEvidence({
        ...rest,
        approval: { state: 'maybe' },
        delivery: { ...release.delivery, success: 'no' },
        artifact: { ...release.artifact, digest: 'ABC' },
        rollbackAuditExport: null,
      }),
    new ReleaseDescriptorError([
      'version: is required',
      'approval: approval_state: "maybe" is not one of approved, pending, denied, rejected, expired, cancelled, canceled',
      'delivery: delivery_success: expected a boolean, got string',
      'artifact: artifact_digest: must be the lower-case hex digest for artifact_digest_algorithm (sha256: 64, sha512: 128 characters)',
      'rollbackAuditExport: must be an object',
    ]),
  );
  assert.throws(() => releaseEvidence([]), new ReleaseDescriptorError(['must be a JSON object']));
});

test('the runner exits 2 on bad input and 3 when no decision can be had, before sending anything', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-ci-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, 'no-daemon.sock');
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ ...release, inventory: { alertLevel: 'red' } }));
  assert.deepEqual(await runner(['--release', bad, '--socket', socket]), {
    code: 2,
    stdout: '',
    stderr: `cavra-ci-runner: ${bad}: release descriptor is invalid: inventory: alert_level: "red" is not one of none, info, warning, critical, blocked, breached\n`,
  });
  await writeFile(bad, '{"channel":');
  const notJson = await runner(['--release', bad, '--socket', socket]);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, new RegExp(`^cavra-ci-runner: ${bad}: is not JSON: `));
  const usage = await runner(['--release', bad]);
  assert.equal(usage.code, 2);
  assert.match(
    usage.stderr,
    /^cavra-ci-runner: --release and --socket \(or CAVRA_SOCKET\) are required\nusage: /,
  );
  const hmac = await runner(['--release', RELEASE_FILE, '--auth', 'hmac', '--key-id', 'k'], {
    CAVRA_SOCKET: socket,
    CAVRA_RUNNER_KEY: 'local-only-hmac-secret-0123456789abcdef',
  });
  assert.equal(hmac.code, 3);
  assert.match(hmac.stderr, /^cavra-ci-runner: no decision, failing closed: daemon_unavailable: /);
  const outsideCi = await runner(['--release', RELEASE_FILE, '--socket', socket]);
  assert.deepEqual(outsideCi, {
    code: 3,
    stdout: '',
    stderr:
      'cavra-ci-runner: no decision, failing closed: invalid_config: not running in GitHub Actions, GitLab CI or Azure Pipelines\n',
  });
});

test('the shipped cavra-daemon.yaml is a valid daemon configuration trusting the three providers', async () => {
  const config = await loadDaemonConfig(join(here, '..', 'cavra-daemon.yaml'), {
    socketPath: join(here, 'x.sock'),
  });
  assert.equal(config.requireRunnerAuth, true);
  assert.equal(config.evidenceLog, join(here, '..', '.cavra', 'evidence.jsonl'));
  assert.deepEqual(
    config.runnerAuth.oidc.providers.map((p) => [p.provider, p.audience]),
    [
      ['github-actions', 'cavra'],
      ['gitlab-ci', 'cavra'],
      ['azure-pipelines', 'api://AzureADTokenExchange'],
    ],
  );
  assert.deepEqual(config.runnerAuth.oidc.trust, {
    providers: ['github-actions', 'gitlab-ci', 'azure-pipelines'],
    repositories: ['acme/app', 'https://dev.azure.com/acme/app/_git/app'],
    refs: ['refs/heads/main', 'refs/tags/v*'],
  });
});
