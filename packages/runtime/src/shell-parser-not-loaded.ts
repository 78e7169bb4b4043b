import { shareInstanceof } from '@cavra/contracts';

/**
 * Thrown when text that needs the shell grammar is parsed before it has loaded (loadShellParser). A TypeError, as
 * the parser's callers have always been told; its own class so that evaluateWhenReady can tell "wait for the grammar"
 * from every other failure.
 */
export class ShellParserNotLoadedError extends TypeError {
  constructor() {
    super('the shell parser is not loaded: await loadShellParser() first');
    this.name = 'ShellParserNotLoadedError';
  }
}

shareInstanceof(ShellParserNotLoadedError, '@cavra/runtime.ShellParserNotLoadedError');
