import { isShellParserLoaded, loadShellParser } from '@cavra/runtime';
import type { Logger } from './logger.js';

/** Where the shell grammar stands, as health reports it. */
export type ShellParserState = 'loading' | 'ready' | 'failed';

/**
 * Starts loading the shell grammar (1.4 MB of WebAssembly and web-tree-sitter's code) without waiting for it: the
 * daemon listens and decides what needs no shell parse meanwhile, and a command that needs the parse waits for it
 * (evaluateWhenReady in decide-request.ts). A failure is logged here and leaves those commands undecided: each is
 * answered with the daemon's internal error (its log line names the failure) and tries the load again; it never
 * turns into a decision. Returns the grammar's state for health: `failed` until a later load succeeds.
 */
export function loadShellParserInBackground(logger: Logger): () => ShellParserState {
  let failed = false;
  loadShellParser().catch((error: unknown) => {
    failed = true;
    logger.error('the shell parser failed to load; commands that need it are not decided', {
      error: error instanceof Error ? error.message : String(error),
    });
  });
  return () => (isShellParserLoaded() ? 'ready' : failed ? 'failed' : 'loading');
}
