import { withoutHarmlessAssignments } from './harmless-variables.js';
import { withoutPackageSelectors } from './runner-options.js';

/**
 * The text the allow list reads for one simple command, given its text as written and its parsed words: without
 * leading assignments of harmless variables (harmless-variables: `NODE_ENV=test npm test` is `npm test`) and, when
 * the rest is written as plain words (no quote or escape, so the words are the text), without a runner's workspace
 * package selectors (runner-options: `pnpm --filter @cavra/runtime run test` is `pnpm run test`). Anything else is
 * read as written.
 */
export function allowListText(text: string, words: readonly string[]): string {
  const rest = withoutHarmlessAssignments(text, words);
  const tokens = rest.split(' ');
  const program = words.slice(words.length - tokens.length);
  if (tokens.length > words.length || tokens.some((token, index) => token !== program[index])) return rest;
  return withoutPackageSelectors(program).join(' ');
}
