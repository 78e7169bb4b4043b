#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { defaultSocketPath } from '@cavra/daemon-client';
import { daemonAuthority, engineAuthority } from './authority.js';
import { startStdioMcpGateway } from './mcp-gateway.js';

const USAGE = `usage: cavra-mcp-gateway [--name SERVER] [--socket PATH] [--policy-pack ID] [--actor NAME]
                         [--engine daemon|in-process] [--pack FILE]... [--confine PACK_FILE [--working-tree DIR]]
                         -- <server command> [args...]`;

function fail(message: string): never {
  process.stderr.write(`cavra-mcp-gateway: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: ReturnType<typeof parse>['values'];
let positionals: string[];
function parse() {
  return parseArgs({
    options: {
      name: { type: 'string' },
      socket: { type: 'string' },
      'policy-pack': { type: 'string' },
      actor: { type: 'string' },
      engine: { type: 'string' },
      pack: { type: 'string', multiple: true },
      confine: { type: 'string' },
      'working-tree': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
}
try {
  ({ values, positionals } = parse());
} catch (error) {
  fail((error as Error).message);
}
const [command, ...args] = positionals;
if (!command) fail('the server command is required (after --)');
const engine = values.engine ?? process.env.CAVRA_ENGINE ?? 'daemon';
if (engine !== 'daemon' && engine !== 'in-process')
  fail(`--engine must be daemon or in-process, not '${engine}'`);
const authority =
  engine === 'in-process'
    ? engineAuthority({ policyPacks: values.pack ?? [] })
    : daemonAuthority({ socketPath: values.socket || process.env.CAVRA_SOCKET || defaultSocketPath() });
const policyPack = values['policy-pack'] ?? process.env.CAVRA_POLICY_PACK;
const actor = values.actor ?? process.env.CAVRA_ACTOR;
if (values['working-tree'] && !values.confine) fail('--working-tree goes with --confine');
const server = values.confine
  ? await confinedServer(values.confine, values['working-tree'], [command, ...args]).catch((error: unknown) =>
      fail(`cannot start '${command}' confined: ${(error as Error).message}`),
    )
  : { command, args };

/**
 * The server started inside the sandbox under the pack's rules (as the hook confines a command; its working tree is
 * --working-tree, else this process's directory). Any failure stops the gateway: the server never runs unconfined.
 */
async function confinedServer(packFile: string, workingTree: string | undefined, argv: readonly string[]) {
  const [{ confinedCommand, loadConfinement, sandboxAvailable, settingsFor }, { quote }] = await Promise.all([
    import('./confine.js'),
    import('shell-quote'),
  ]);
  const confinement = await loadConfinement(packFile, workingTree);
  await sandboxAvailable();
  const settings = await settingsFor({ cwd: process.cwd() }, confinement);
  return { command: 'bash', args: ['-c', confinedCommand(quote([...argv]), settings)] };
}

startStdioMcpGateway({
  ...server,
  authority,
  ...(values.name ? { serverName: values.name } : {}),
  ...(policyPack ? { policyPack } : {}),
  ...(actor ? { actor } : {}),
}).then(
  async (gateway) => {
    await gateway.closed;
    await authority.close();
  },
  (error: unknown) => {
    process.stderr.write(`cavra-mcp-gateway: cannot start '${command}': ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
