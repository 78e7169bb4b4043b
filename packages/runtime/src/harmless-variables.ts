/**
 * Environment variables a command may be given before it (`NODE_ENV=test npm test`, `CI=1 pnpm test`) without
 * changing what it runs or loads: each names a mode, a colour setting, a locale or a time zone, never a program, a
 * module, an option list or a folder searched for code, and its value is held to a plain word (no `/`, so no path,
 * but for a time zone, which names data, never code). Leading assignments of these are dropped before the allow
 * list reads a command, so an allowed command stays allowed; any other variable keeps the command off the allow list
 * as written (exported-variables, which asks for the variables that change what runs, is checked first and stays
 * authoritative). Not here, on purpose: `DEBUG` (the `debug` package and others log request headers, tokens
 * included), `PAGER`/`EDITOR`/`PATH`/`HOME` and the other variables exported-variables lists.
 */
const HARMLESS_VARIABLES: readonly (readonly [name: string, value: RegExp])[] = [
  // Node.js docs, "Node.js, the difference between development and production": a mode libraries read.
  ['NODE_ENV', /^[\w-]*$/],
  // GitHub Actions docs, "Default environment variables": CI is `true` in CI; tools turn non-interactive.
  ['CI', /^[\w-]*$/],
  // Node.js tty docs, "writeStream.getColorDepth": FORCE_COLOR sets the colour depth; no-color.org: NO_COLOR
  // turns colours off.
  ['FORCE_COLOR', /^[\w-]*$/],
  ['NO_COLOR', /^[\w-]*$/],
  // tzset(3): TZ names a time zone, whose data file is read, never run.
  ['TZ', /^:?[\w/+-]*$/],
  // locale(7): LANG and LC_ALL name a locale (a name without `/`, so no locale file from a path).
  ['LANG', /^[\w.@-]*$/],
  ['LC_ALL', /^[\w.@-]*$/],
  // term(7): TERM names an entry of the terminfo database (TERMINFO, which names a folder, is not here).
  ['TERM', /^[\w.+-]*$/],
  // bash(1), Shell Variables: COLUMNS and LINES, the terminal's width and height.
  ['COLUMNS', /^\d*$/],
  ['LINES', /^\d*$/],
];

/** Whether a word is an assignment of a harmless variable to a plain value (`NODE_ENV=test`). */
function harmlessAssignment(word: string): boolean {
  const equals = word.indexOf('=');
  const name = word.slice(0, equals);
  return HARMLESS_VARIABLES.some(([known, value]) => known === name && value.test(word.slice(equals + 1)));
}

/**
 * The text the allow list reads for a command whose parsed words are `words`: the text without its leading
 * assignments when each is a harmless one written as its plain word (`NODE_ENV=test npm test` is `npm test`; a
 * quoted or escaped value is not dropped) and a command follows them; otherwise the text as written.
 */
export function withoutHarmlessAssignments(text: string, words: readonly string[]): string {
  let rest = text;
  for (const word of words) {
    if (!/^[A-Za-z_]\w*=/.test(word)) break;
    if (!harmlessAssignment(word)) return text;
    const after = rest.slice(word.length);
    if (!rest.startsWith(word) || !/^[ \t]+\S/.test(after)) return text;
    rest = after.trimStart();
  }
  return rest;
}
