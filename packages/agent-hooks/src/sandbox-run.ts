import { connect } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * The client side of the warm runner (see sandbox-runner.ts): redeems the hook's token for `command`, relays this
 * process's input, output and signals, and exits with the command's exit code. Any failure exits 126 with the reason
 * on stderr: the command then did not run, confined or not.
 */
export function runInSandbox(socketPath: string, token: string, command: string): void {
  const socket = connect(socketPath);
  let exited = false;
  const fail = (reason: string) => {
    if (exited) return;
    exited = true;
    process.stderr.write(`cavra-sandbox: the command did not run: ${reason}\n`);
    process.exit(126);
  };
  const send = (message: unknown) => socket.write(`${JSON.stringify(message)}\n`);
  socket.on('error', (error) => fail(`no runner at ${socketPath} (${error.message})`));
  socket.on('connect', () => {
    send({ run: { token, command, cwd: process.cwd(), env: process.env } });
    process.stdin.on('data', (chunk: Buffer) => send({ in: chunk.toString('base64') }));
    process.stdin.on('end', () => send({ eof: true }));
    process.stdin.on('error', () => send({ eof: true }));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => send({ signal }));
    }
  });
  const lines = createInterface({ input: socket });
  // readline re-emits the socket's errors, which the socket's own handler reports.
  lines.on('error', () => {});
  lines.on('line', (line) => {
    const message = JSON.parse(line) as { out?: string; err?: string; exit?: number; error?: string };
    if (message.out) process.stdout.write(Buffer.from(message.out, 'base64'));
    else if (message.err) process.stderr.write(Buffer.from(message.err, 'base64'));
    else if (message.error) fail(message.error);
    else if (typeof message.exit === 'number') {
      exited = true;
      process.stdout.write('', () => process.exit(message.exit));
    }
  });
  socket.on('close', () => fail('the runner closed the connection'));
}
