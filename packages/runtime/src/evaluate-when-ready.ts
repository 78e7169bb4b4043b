import type { RuntimeDecision, RuntimeRequest } from '@cavra/contracts';
import type { Engine, EvaluateOptions } from './engine.js';
import { loadShellParser } from './shell-parser.js';
import { ShellParserNotLoadedError } from './shell-parser-not-loaded.js';

/**
 * Engine.evaluate for an engine built with `deferShellParser`: a request that needs no shell parse (any action but a
 * command, and a command of plain words) is decided at once; one that needs the parser before it has loaded waits
 * for loadShellParser and is then decided exactly as it would have been with the parser loaded from the start. When
 * the parser fails to load, rejects with an Error naming the failure (its cause the load's error), never a
 * decision; the next request that needs the parser tries the load again.
 */
export async function evaluateWhenReady(
  engine: Engine,
  request: RuntimeRequest,
  options?: EvaluateOptions,
): Promise<RuntimeDecision> {
  try {
    return engine.evaluate(request, options);
  } catch (error) {
    if (!(error instanceof ShellParserNotLoadedError)) throw error;
  }
  try {
    await loadShellParser();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the shell parser failed to load: ${reason}`, { cause: error });
  }
  return engine.evaluate(request, options);
}
