#!/usr/bin/env node
// cavra-ci-step: ask the CAVRA daemon before a CI step runs a command, then run it only if allowed. A command that
// needs approval fails the step with the approval request's id and the command an approver runs; once approved, a
// re-run of the job passes by the grant (GitHub environments' model: the job is re-run, no runner waits).
// Only `allow` runs the command (fail closed: any other decision stops the step). Exits with the command's own code
// when it ran; 5 waiting for approval; 1 any other decision (blocked, a denied or expired request); 3 no decision;
// 2 usage.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { askToRun } from '../src/ci-step.mjs';

const USAGE =
  'usage: cavra-ci-step [--socket PATH] (--auth oidc --audience AUD | --auth hmac --key-id ID --secret-env VAR) -- COMMAND [ARG...]';

function fail(code, message, usage = false) {
  process.stderr.write(`cavra-ci-step: ${message}\n${usage ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

let options;
let command;
try {
  const parsed = parseArgs({
    allowPositionals: true,
    options: {
      socket: { type: 'string', default: process.env.CAVRA_SOCKET },
      auth: { type: 'string', default: 'oidc' },
      audience: { type: 'string', default: 'cavra' },
      'key-id': { type: 'string' },
      'secret-env': { type: 'string', default: 'CAVRA_RUNNER_KEY' },
    },
  });
  options = parsed.values;
  command = parsed.positionals;
  if (command.length === 0) throw new Error('a COMMAND after -- is required');
  if (!options.socket) throw new Error('--socket (or CAVRA_SOCKET) is required');
  if (options.auth !== 'oidc' && options.auth !== 'hmac') throw new Error('--auth must be oidc or hmac');
  if (options.auth === 'hmac' && (!options['key-id'] || !process.env[options['secret-env']])) {
    throw new Error(`--auth hmac needs --key-id and the secret in $${options['secret-env']}`);
  }
} catch (error) {
  fail(2, error.message, true);
}
const auth =
  options.auth === 'oidc'
    ? { oidc: { audience: options.audience } }
    : { hmac: { keyId: options['key-id'], secret: process.env[options['secret-env']] } };

let answer;
try {
  answer = await askToRun({ socketPath: options.socket, command, auth });
} catch (error) {
  fail(3, `no decision, failing closed: ${error.code ?? 'error'}: ${error.message}`);
}
const { decision, approvalId } = answer;
const line = command.join(' ');
if (decision.decision === 'allow') {
  process.stdout.write(`cavra: allowed ${JSON.stringify(line)} (${decision.rule_id})\n`);
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  child.once('error', (error) => fail(127, `${command[0]}: ${error.code ?? error.message}`));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else if (
  approvalId &&
  (decision.rule_id === 'approval.pending' || decision.decision === 'require_approval')
) {
  process.stdout.write(
    `cavra: ${JSON.stringify(line)} needs approval by '${decision.approver_group}': request ${approvalId}
  an approver runs: cavra approval approve ${approvalId} --key KEY --as ID
  then re-run this job: the approval lets this command through (scope once: one run)
`,
  );
  process.exit(5);
} else {
  process.stdout.write(
    `cavra: ${decision.decision} ${JSON.stringify(line)} (${decision.rule_id}): ${decision.reason}\n`,
  );
  process.exit(1);
}
