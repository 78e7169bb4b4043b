#!/usr/bin/env node
// cavra-ci-runner: send a release's governance evidence to the CAVRA daemon from a CI job. Exits 1 when any
// record is blocked (the promotion must not go on), 3 when no decision could be obtained (fail closed), 2 on usage.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { sendReleaseEvidence } from '../src/runner.mjs';

const USAGE = `usage: cavra-ci-runner --release FILE [--socket PATH] (--auth oidc --audience AUD | --auth hmac --key-id ID --secret-env VAR)`;

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
  process.stderr.write(`cavra-ci-runner: ${error.message}\n${USAGE}\n`);
  process.exit(2);
}

const release = JSON.parse(await readFile(options.release, 'utf8'));
const auth =
  options.auth === 'oidc'
    ? { oidc: { audience: options.audience } }
    : { hmac: { keyId: options['key-id'], secret: process.env[options['secret-env']] } };

let decisions;
try {
  decisions = await sendReleaseEvidence({ socketPath: options.socket, release, auth });
} catch (error) {
  process.stderr.write(
    `cavra-ci-runner: no decision, failing closed: ${error.code ?? 'error'}: ${error.message}\n`,
  );
  process.exit(3);
}
for (const d of decisions) {
  process.stdout.write(`${d.decision.padEnd(18)}${d.target.padEnd(40)}${d.rule_id}\n    ${d.reason}\n`);
}
const blocked = decisions.filter((d) => d.decision === 'block');
if (blocked.length > 0) {
  process.stdout.write(
    `promotion of ${release.version} blocked by ${blocked.map((d) => d.rule_id).join(', ')}\n`,
  );
  process.exitCode = 1;
}
