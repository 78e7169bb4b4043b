/**
 * The argument words of one simple command (a part from splitCommand), split and unquoted the way a POSIX shell
 * would, but without expanding anything:
 * - a word ends at an unquoted blank, `<`, `>`, `&`, `(`, `)` or backtick;
 * - `'…'` is literal; inside `"…"` a backslash escapes only `"`, `\`, `$` and a backtick; elsewhere a backslash
 *   escapes the next character; a quote left open runs to the end of the part;
 * - the first word is the command word, which is not an argument; a word after `<` is a file read as input and
 *   is an argument wherever it stands; a word after `>` is a file written, not an argument (see commandWords).
 *
 * Variables, globs and `$'…'` are not expanded: `.en${X}v` is read as written.
 *
 * @example commandArguments(`git show 'HEAD:.env' 2>&1`) // ['show', 'HEAD:.env', '2']
 */
export function commandArguments(part: string): string[] {
  return commandWords(part).args;
}

/** The words of one simple command that name files: arguments (files it may read) and output redirection targets. */
export interface CommandWords {
  /** The command word, unquoted (`''` when the part has none). */
  readonly command: string;
  /** As commandArguments. */
  readonly args: string[];
  /** The words after `>`, `>>`, `>|`, `2>`, `&>`: files the shell opens for writing. */
  readonly writes: string[];
}

/** commandArguments, plus the files output redirection writes (read the same way). */
export function commandWords(part: string): CommandWords {
  if (!SHELL_SYNTAX.test(part)) {
    const [command = '', ...args] = part.trim().split(/\s+/);
    return { command, args, writes: [] };
  }
  let command = '';
  const args: string[] = [];
  const writes: string[] = [];
  let word = '';
  let inWord = false; // quotes start a word even when it stays empty (`''`)
  let quote = '';
  let redirect = '';
  let commandWordSeen = false;
  const endWord = () => {
    if (!inWord) return;
    if (redirect === '<' || (redirect === '' && commandWordSeen)) args.push(word);
    else if (redirect === '>' || (redirect === '>&' && !DESCRIPTOR.test(word))) writes.push(word);
    else if (redirect === '') {
      command = word;
      commandWordSeen = true;
    }
    word = '';
    inWord = false;
    redirect = '';
  };
  for (let index = 0; index < part.length; index += 1) {
    const char = part.charAt(index);
    const next = part.charAt(index + 1);
    if (quote === "'") {
      if (char === "'") quote = '';
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = '';
      else if (char === '\\' && next !== '' && '"\\$`'.includes(next)) {
        word += next;
        index += 1;
      } else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\') {
      word += next || char;
      index += 1;
      inWord = true;
    } else if (char === '<' || char === '>') {
      endWord();
      if (char === '>' && next === '&') {
        // `>&2` and `>&-` duplicate or close a descriptor; `>&file` writes the file.
        redirect = '>&';
        index += 1;
      } else if (redirect !== '<') {
        // `<>` opens a file for reading too.
        redirect = char;
      }
    } else if (WORD_END.test(char)) {
      endWord();
    } else {
      word += char;
      inWord = true;
    }
  }
  endWord();
  return { command, args, writes };
}

const WORD_END = /[\s&()`]/;
const DESCRIPTOR = /^(?:[0-9]+-?|-)$/;
// Without quotes, escapes or operators, words are just what lies between blanks.
const SHELL_SYNTAX = /["'\\<>&()`]/;
