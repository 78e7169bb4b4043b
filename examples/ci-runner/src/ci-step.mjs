import { runnerClient } from './runner.mjs';

/** The evidence ref a decision about an approval request carries: `cavra-approval://<request id>`. */
const APPROVAL_REF = 'cavra-approval://';

/**
 * Asks the daemon whether a CI step may run `command` (argv), as the job's authenticated runner: an
 * `execute_command` request for the command line. Resolves with the decision and, when it is about an approval
 * request (waiting, denied, expired, or the grant that allowed it), that request's id.
 */
export async function askToRun({ socketPath, command, auth, env = process.env }) {
  const { client, identity } = runnerClient({ socketPath, auth, env });
  try {
    const decision = await client.evaluate({
      session_id: `ci-${identity?.run_id ?? 'local'}`,
      agent_id: 'cavra-ci-step',
      actor: identity?.actor ?? '',
      action_type: 'execute_command',
      target: command.join(' '),
      policy_pack: 'cavra-ai-agent-baseline',
    });
    const ref = decision.evidence_refs.find((value) => value.startsWith(APPROVAL_REF));
    return { decision, ...(ref ? { approvalId: ref.slice(APPROVAL_REF.length) } : {}) };
  } finally {
    await client.close();
  }
}
