/**
 * Command patterns. A command is compared after trimming and collapsing whitespace runs to one space.
 * A pattern that ends in ` *` matches its prefix alone or followed by a space and anything
 * (`npm run *` matches `npm run` and `npm run build`); any other pattern matches exactly. `*` elsewhere is a
 * literal character, so `rm -rf /*` means exactly that command.
 */
export interface CommandMatcher {
  /** Index of the first matching pattern, or -1. */
  match(command: string): number;
}

export function compileCommandPatterns(patterns: readonly string[]): CommandMatcher {
  const exact = new Map<string, number>();
  const prefixes: { readonly prefix: string; readonly index: number }[] = [];
  patterns.forEach((raw, index) => {
    const pattern = normalizeCommand(raw);
    if (pattern.endsWith(' *')) prefixes.push({ prefix: pattern.slice(0, -2), index });
    else if (!exact.has(pattern)) exact.set(pattern, index);
  });
  return {
    match(command) {
      const best = exact.get(command) ?? -1;
      for (const { prefix, index } of prefixes) {
        if (best !== -1 && index > best) break;
        if (command === prefix || command.startsWith(`${prefix} `)) return index;
      }
      return best;
    },
  };
}

/** Trims a command and collapses whitespace runs to one space: the form patterns are compared against. */
export function normalizeCommand(command: string): string {
  return command.trim().replace(/\s+/g, ' ');
}

// Shell control operators: each part of a compound command is judged on its own. A lone `&` (background) is
// one too, but not inside a redirection (`2>&1`, `&>file`, `<&3`).
const CONTROL_OPERATORS = /&&|\|\||[;|\n]|(?<![<>])&(?!>)/;
// Substitution runs a command the patterns cannot see.
const SUBSTITUTION = /\$\(|`|<\(|>\(/;
// Parameter expansion (`$X`, `${X}`, `$1`, `$'\x2e'`), globs (`*`, `?`, `[…]`) and brace expansion (`{a,b}`) make
// the words the command runs with differ from the words judged. Quoting is ignored: that can only ask more often.
const EXPANSION = /\$[A-Za-z0-9_{@*#?$!'-]|[*?]|\[[^\]]*\]|\{[^}]*,[^}]*\}/;
// Output redirection to a file (`>`, `>>`, `2>`, `&>`, `>|`) writes a path the filesystem rules never see;
// duplicating a descriptor (`2>&1`, `>&-`) writes nothing.
const FILE_REDIRECTION = />(?!&[0-9-])/;

/** Splits a compound command into its simple commands (normalised); over-splitting quoted text only makes matching stricter. */
export function splitCommand(command: string): string[] {
  return command
    .split(CONTROL_OPERATORS)
    .map(normalizeCommand)
    .filter((part) => part.length > 0);
}

export function hasSubstitution(command: string): boolean {
  return SUBSTITUTION.test(command);
}

export function hasExpansion(command: string): boolean {
  return EXPANSION.test(command);
}

export function hasFileRedirection(command: string): boolean {
  return FILE_REDIRECTION.test(command);
}
