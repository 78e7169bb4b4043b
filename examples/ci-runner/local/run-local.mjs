#!/usr/bin/env node
// Local mode: runs each provider's pipeline flow end to end on this machine. A local OIDC issuer on loopback plays
// the CI provider, `cavra-daemon` verifies its tokens, and bin/cavra-ci-runner.mjs runs exactly as in the pipeline
// files, with the provider's environment. Then the same runner authenticates with HMAC instead, and a fork the
// trust policy does not name tries. Usage: node local/run-local.mjs [--release FILE] (default: release.json).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { verifyEvidenceLog } from '@cavra/daemon';
import { ciJobs, REQUEST_TOKEN } from './ci-jobs.mjs';
import { LocalOidcIssuer } from './oidc-issuer.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(here, '..', 'bin', 'cavra-ci-runner.mjs');
const RELEASE = join(here, '..', 'release.json');
const HMAC_SECRET = 'local-only-hmac-secret-0123456789abcdef';
const daemonBin = join(
  dirname(createRequire(import.meta.url).resolve('@cavra/daemon/package.json')),
  'dist',
  'cli.js',
);

function daemonConfig(issuer) {
  const provider = (name, audience) =>
    `      - { provider: ${name}, issuer: "${issuer.issuer(name)}", audience: "${audience}", jwks_uri: "${issuer.jwksUri}" }`;
  return [
    'socket_path: run/daemon.sock',
    'evidence_log: evidence.jsonl',
    'runner_auth:',
    '  required: true',
    '  hmac:',
    '    keys: [{ key_id: ci-runner-local, secret_env: CAVRA_RUNNER_KEY }]',
    '  oidc:',
    '    providers:',
    provider('github-actions', 'cavra'),
    provider('gitlab-ci', 'cavra'),
    provider('azure-pipelines', 'api://AzureADTokenExchange'),
    '    trust:',
    '      providers: [github-actions, gitlab-ci, azure-pipelines]',
    '      repositories: [acme/app, "https://dev.azure.com/acme/app/_git/app"]',
    '      refs: [refs/heads/main, "refs/tags/v*"]',
    '',
  ].join('\n');
}

/** Runs the runner as a CI job would; resolves with its exit code and output. */
async function runRunner(env, args) {
  try {
    const { stdout } = await run(process.execPath, [RUNNER, ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { exitCode: 0, stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { exitCode: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

/** Runs every flow against one daemon; `release` is the descriptor each runner sends. */
export async function runLocal({ release = RELEASE } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-ci-'));
  const issuer = await LocalOidcIssuer.start();
  const config = join(dir, 'cavra-daemon.yaml');
  await writeFile(config, daemonConfig(issuer));
  const cavraDaemon = (...args) =>
    run(process.execPath, [daemonBin, ...args, '--config', config], {
      env: { ...process.env, CAVRA_RUNNER_KEY: HMAC_SECRET },
    });
  await cavraDaemon('start');
  const socket = { CAVRA_SOCKET: join(dir, 'run', 'daemon.sock') };
  try {
    const results = [];
    for (const [provider, job] of Object.entries(ciJobs(issuer))) {
      const env = { ...socket, ...job.env };
      if (job.endpoint) issuer.jobs.set(job.endpoint, { claims: job.claims, requestToken: REQUEST_TOKEN });
      if (job.tokenVariable) env[job.tokenVariable] = await issuer.mint(provider, job.claims, 'cavra');
      results.push({
        flow: `${provider} (OIDC-JWT)`,
        ...(await runRunner(env, ['--release', release, '--auth', 'oidc', '--audience', 'cavra'])),
      });
    }
    const hmacEnv = { ...socket, ...ciJobs(issuer)['github-actions'].env, CAVRA_RUNNER_KEY: HMAC_SECRET };
    results.push({
      flow: 'github-actions (HMAC-SHA256)',
      ...(await runRunner(hmacEnv, ['--release', release, '--auth', 'hmac', '--key-id', 'ci-runner-local'])),
    });
    // A fork the trust policy does not name: its genuine token is refused, and so is every record it sends.
    const fork = ciJobs(issuer)['github-actions'];
    issuer.jobs.set(fork.endpoint, {
      claims: { ...fork.claims, repository: 'evil/app' },
      requestToken: REQUEST_TOKEN,
    });
    const forkEnv = { ...socket, ...fork.env, GITHUB_REPOSITORY: 'evil/app' };
    results.push({
      flow: 'github-actions fork (OIDC-JWT, untrusted)',
      ...(await runRunner(forkEnv, ['--release', release, '--auth', 'oidc'])),
    });
    await cavraDaemon('stop');
    const evidence = join(dir, 'evidence.jsonl');
    const runners = (await readFile(evidence, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).runner);
    return { results, runners, verification: await verifyEvidenceLog(evidence) };
  } finally {
    await cavraDaemon('stop').catch(() => undefined);
    await issuer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { release: { type: 'string' } } });
  const { results, verification } = await runLocal(values.release ? { release: values.release } : {});
  for (const result of results) {
    process.stdout.write(
      `\n== ${result.flow}: runner exit ${result.exitCode}\n${result.stdout}${result.stderr ?? ''}`,
    );
  }
  process.stdout.write(
    `\nEvidence log: ${verification.records} records, ${verification.ok ? 'hash chain intact' : 'BROKEN'}\n`,
  );
}
