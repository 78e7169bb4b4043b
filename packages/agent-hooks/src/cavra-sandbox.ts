#!/usr/bin/env node
import { parseArgs } from 'node:util';

const USAGE = `usage: cavra-sandbox serve --socket PATH [--allow-domain DOMAIN]... [--idle-ms N]
       cavra-sandbox run --socket PATH --token TOKEN -- <command>`;

// The warm runner of confined commands and its client (see sandbox-runner.ts); the hook starts both, not people.
function fail(message: string): never {
  process.stderr.write(`cavra-sandbox: ${message}\n${USAGE}\n`);
  process.exit(126);
}

const [mode, ...rest] = process.argv.slice(2);
let values: { socket?: string; token?: string; 'allow-domain'?: string[]; 'idle-ms'?: string };
let positionals: string[];
try {
  ({ values, positionals } = parseArgs({
    args: rest,
    options: {
      socket: { type: 'string' },
      token: { type: 'string' },
      'allow-domain': { type: 'string', multiple: true },
      'idle-ms': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (!values.socket) fail('--socket is required');
if (mode === 'run') {
  if (!values.token || positionals.length !== 1) fail('run takes --token and one command after --');
  (await import('./sandbox-run.js')).runInSandbox(values.socket, values.token, positionals[0] as string);
} else if (mode === 'serve') {
  const idleMs = values['idle-ms'] ? Number(values['idle-ms']) : undefined;
  await (await import('./sandbox-runner.js'))
    .startSandboxRunner({
      socketPath: values.socket,
      allowedDomains: values['allow-domain'] ?? [],
      ...(idleMs ? { idleMs } : {}),
    })
    .then(
      (runner) => {
        // The hook reads this line, then closes its ends of the pipes: nothing is written after it.
        process.stdout.on('error', () => {});
        process.stderr.on('error', () => {});
        process.stdout.write('ready\n');
        if (runner.alreadyRunning) process.exit(0);
        // The sandbox library cleans up on SIGTERM without exiting: stop for good, commands in flight included.
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
          process.on(signal, () => void runner.close().finally(() => process.exit(0)));
        }
      },
      (error: unknown) => fail(`cannot start: ${(error as Error).message}`),
    );
} else {
  fail(mode ? `unknown mode '${mode}'` : 'a mode is required');
}
