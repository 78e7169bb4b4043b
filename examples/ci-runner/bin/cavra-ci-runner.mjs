#!/usr/bin/env node
// cavra-ci-runner: send a release's governance evidence to the CAVRA daemon from a CI job. Exits 1 when any
// record is blocked (the promotion must not go on), 3 when no decision could be obtained (fail closed), 2 on usage
// errors and on a release descriptor that is not valid JSON or not valid evidence.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ReleaseDescriptorError, releaseEvidence } from '../src/release-evidence.mjs';
import { sendReleaseEvidence } from '../src/runner.mjs';

const USAGE = `usage: cavra-ci-runner --release FILE [--socket PATH] (--auth oidc --audience AUD | --auth hmac --key-id ID --secret-env VAR)`;

function fail(code, message, usage = false) {
  process.stderr.write(`cavra-ci-runner: ${message}\n${usage ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      release: { type: 'string' },
      socket: { type: 'string', default: process.env.CAVRA_SOCKET },
      auth: { type: 'string', default: 'oidc' },
      audience: { type: 'string', default: 'cavra' },
      'key-id': { type: 'string' },
      'secret-env': { type: 'string', default: 'CAVRA_RUNNER_KEY' },
    },
  }));
  if (!options.release || !options.socket)
    throw new Error('--release and --socket (or CAVRA_SOCKET) are required');
  if (options.auth !== 'oidc' && options.auth !== 'hmac') throw new Error('--auth must be oidc or hmac');
  if (options.auth === 'hmac' && (!options['key-id'] || !process.env[options['secret-env']])) {
    throw new Error(`--auth hmac needs --key-id and the secret in $${options['secret-env']}`);
  }
} catch (error) {
  fail(2, error.message, true);
}

let evidence;
try {
  evidence = releaseEvidence(JSON.parse(await readFile(options.release, 'utf8')));
} catch (error) {
  if (error instanceof SyntaxError) fail(2, `${options.release}: is not JSON: ${error.message}`);
  if (error instanceof ReleaseDescriptorError || error.code === 'ENOENT')
    fail(2, `${options.release}: ${error.message}`);
  throw error;
}
const auth =
  options.auth === 'oidc'
    ? { oidc: { audience: options.audience } }
    : { hmac: { keyId: options['key-id'], secret: process.env[options['secret-env']] } };

let decisions;
try {
  decisions = await sendReleaseEvidence({ socketPath: options.socket, evidence, auth });
} catch (error) {
  fail(3, `no decision, failing closed: ${error.code ?? 'error'}: ${error.message}`);
}
for (const d of decisions) {
  process.stdout.write(`${d.decision.padEnd(18)}${d.target.padEnd(40)}${d.rule_id}\n    ${d.reason}\n`);
}
const blockedBy = [...new Set(decisions.filter((d) => d.decision === 'block').map((d) => d.rule_id))];
if (blockedBy.length > 0) {
  process.stdout.write(`promotion of ${evidence[0].release_version} blocked by ${blockedBy.join(', ')}\n`);
  process.exitCode = 1;
}
