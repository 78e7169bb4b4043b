import { join } from 'node:path';

/**
 * Where the daemon listens when its config names no socket: `$XDG_RUNTIME_DIR/cavra/daemon.sock`, else
 * `/tmp/cavra-<uid>/daemon.sock`. It lives here, not in the daemon, so that a client finds the daemon without
 * loading it.
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, 'cavra', 'daemon.sock')
    : join('/tmp', `cavra-${process.getuid?.() ?? 'user'}`, 'daemon.sock');
}
