/**
 * How a command's words give the values of its options, read the way getopt and the common long-option parsers
 * read them, for the tables that name options (inner-commands, code-loading-options, secret-dumps). A table names
 * an option as it is spelt: `--exec`, `-exec` (find's and go's single-dash long options) or `-x` (one letter).
 *
 * - `--name=value` and `-name=value`: the text after `=`.
 * - `--name value`, `-name value`, `-x value`: the next word.
 * - `-x` inside a group of short options (`-lc`, `-ppwn`, `-ne`): the rest of the word after the letter, or the next
 *   word when the letter ends the group. Reading a letter in a group as the option can only find more options, which
 *   for these tables only asks or blocks more.
 * - `--na` for `--name`: a prefix of a long option, as getopt_long and git's parse-options read it.
 * - `+`: any word starting with `+` (vim's and less's `+command`), its value the rest of the word.
 * Words after `--` are operands, not options. How a program reads its options is an OptionReading: GETOPT
 * (getopt_long, git's parse-options), EXACT_LONG (argparse without abbreviations as pytest sets it, clap, pflag,
 * ripgrep, jq, node: no prefixes), SINGLE_DASH (go's flag package, find, terraform: `-race` is one word, not `-r`
 * `-a` `-c` `-e`).
 */
export interface OptionReading {
  /** Whether `-abc` is a group of short options. */
  readonly groups: boolean;
  /** Whether a prefix of a long option is that option. */
  readonly prefixes: boolean;
}
export const GETOPT: OptionReading = { groups: true, prefixes: true };
export const EXACT_LONG: OptionReading = { groups: true, prefixes: false };
export const SINGLE_DASH: OptionReading = { groups: false, prefixes: false };

export function optionValues(
  words: readonly string[],
  names: readonly string[],
  from = 1,
  reading: OptionReading = GETOPT,
): string[] {
  const values: string[] = [];
  for (let index = from; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--') break;
    for (const name of names) {
      const value = valueAt(words, index, name, reading);
      if (value !== undefined) values.push(value);
    }
  }
  return values;
}

/** The first of these options the words pass (as written), or undefined. */
export function firstOption(
  words: readonly string[],
  names: readonly string[],
  from = 1,
  reading: OptionReading = GETOPT,
): string | undefined {
  for (let index = from; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--') return undefined;
    if (names.some((name) => valueAt(words, index, name, reading) !== undefined)) return word;
  }
  return undefined;
}

/** The value the word at `index` gives one of these options, or undefined when it is none of them. */
export function optionAt(
  words: readonly string[],
  index: number,
  names: readonly string[],
  reading: OptionReading = GETOPT,
): string | undefined {
  for (const name of names) {
    const value = valueAt(words, index, name, reading);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The words that are not options nor option values, given which options take a value (as named above): the
 * operands a command acts on (`grep -r -e x -- src` acts on `src`).
 */
export function operands(words: readonly string[], valued: readonly string[], from = 1): string[] {
  const found: string[] = [];
  for (let index = from; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--') return [...found, ...words.slice(index + 1)];
    if (!word.startsWith('-') || word === '-') {
      found.push(word);
      continue;
    }
    // A valued option written alone takes the next word.
    if (
      valued.some(
        (name) => word === name || (isShort(name) && isGroup(word) && word.endsWith(name[1] as string)),
      )
    ) {
      index += 1;
    }
  }
  return found;
}

/** The value the word at `index` gives option `name`, or undefined when it is not that option. */
function valueAt(
  words: readonly string[],
  index: number,
  name: string,
  reading: OptionReading,
): string | undefined {
  const word = words[index] as string;
  const next = words[index + 1] ?? '';
  if (name === '+') return word.startsWith('+') ? word.slice(1) : undefined;
  if (word === name) return next;
  if (!isShort(name)) {
    if (word.startsWith(`${name}=`)) return word.slice(name.length + 1);
    // getopt_long and git's parse-options take any unambiguous prefix of a long option (`--exe` for `--exec`);
    // reading every prefix as the option finds more, never fewer.
    const [given = '', value] = word.split(/=(.*)/s);
    if (!reading.prefixes || !name.startsWith('--') || given.length < 4 || !name.startsWith(given))
      return undefined;
    return value ?? next;
  }
  if (!reading.groups || !isGroup(word)) return undefined;
  const at = word.indexOf(name[1] as string, 1);
  if (at < 0) return undefined;
  return at === word.length - 1 ? next : word.slice(at + 1);
}

function isShort(name: string): boolean {
  return /^-[^-]$/.test(name);
}

/** `-abc`: a group of short options (not `--x`, not `-` alone). */
function isGroup(word: string): boolean {
  return /^-[^-]/.test(word);
}
