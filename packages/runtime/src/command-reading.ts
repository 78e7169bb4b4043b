import { argumentEffects } from './argument-writes.js';
import { commandForms } from './command-forms.js';
import { innerCommands } from './inner-commands.js';
import { withoutNonPathOptions } from './non-path-options.js';
import { ParseMemo } from './parse-memo.js';
import { joinLineContinuations, type ParsedCommand, parseCommand } from './shell-parser.js';
import { workingDirectories } from './working-directory.js';

/**
 * What the engine reads from an execute_command's text before any pack is consulted: the command with its line
 * continuations joined as bash joins them (`cat .e\⏎nv` runs `cat .env`), its parse, the simple commands it may run
 * with their spellings, the files they name and the folders they may run in (judgedParts, workingDirectories), and
 * what makes its words unknowable. It depends on the text alone, so every pack, and every rule of a pack tried on
 * its own (createDecisionExplainer), shares one reading of the same command.
 */
export interface CommandReading {
  /** The command as sent, its continuations joined and its ends trimmed: what the whole-command lists match. */
  readonly whole: string;
  readonly parsed: ParsedCommand;
  /** Only operators (`;`) or a comment: nothing to run, and nothing the allow list could speak for. */
  readonly runsNothing: boolean;
  readonly flags: Readonly<Flags>;
  readonly judged: readonly JudgedPart[];
}

/**
 * How many readings are kept (least recently used first out), and of which: text of at most MAX_KEPT_TEXT
 * characters whose reading holds at most MAX_KEPT_CHARACTERS characters in its strings (parts, words, spellings,
 * paths). So the memo holds at most about 256 × 2 × 16,384 characters of strings (16 MiB as UTF-16) in the worst
 * case, and far less for the commands agents send (`npm test` reads into about 200 characters).
 */
export const READING_MEMO_SIZE = 256;
const MAX_KEPT_TEXT = 2_048;
const MAX_KEPT_CHARACTERS = 16_384;

/**
 * The reading of a command's text. Kept by exact text like the shell parses (parse-memo.ts: no trimming or
 * normalisation, so a reading is never given for other text): the reading is a third of what the engine does for a
 * command, and an agent's edit-build-test loop repeats most of its commands exactly. Throws ShellParserNotLoadedError
 * as parseCommand does (nothing is kept then).
 *
 * Unlike the parses, readings are not frozen: freezing one costs about a third of reading it (10 µs against 32 µs
 * for the benign corpus), which would make the memo cost more than it saves below about one hit in four, and a
 * recorded exploratory session repeats fewer of its commands than that. A reading never leaves the engine (this
 * module is not exported), its types are readonly throughout, and a test decides every corpus request with the memo
 * warm and checks that every kept reading still equals a fresh one.
 */
export function readCommand(text: string): CommandReading {
  if (!memo || text.length > MAX_KEPT_TEXT) return readingOf(text);
  return memo.get(text, readingOf, (reading) => characters(reading.judged) <= MAX_KEPT_CHARACTERS);
}

/** A memo of readings as the engine keeps them (not frozen); for tests and measurements, with another size. */
export function createReadingMemo(size = READING_MEMO_SIZE): ParseMemo<CommandReading> {
  return new ParseMemo(size, { freeze: false });
}

let memo: ParseMemo<CommandReading> | undefined = createReadingMemo();

/** Replaces the memo of readings (undefined: none); returns the one it replaces. For tests and measurements only. */
export function replaceReadingMemo(
  next: ParseMemo<CommandReading> | undefined,
): ParseMemo<CommandReading> | undefined {
  const previous = memo;
  memo = next;
  return previous;
}

function readingOf(text: string): CommandReading {
  const command = joinLineContinuations(text);
  const whole = command.trim();
  const parsed = parseCommand(command);
  if (parsed.commands.length === 0 || !/[^\s;&|]/.test(command)) {
    return {
      whole,
      parsed,
      runsNothing: true,
      flags: { substitution: false, expansion: false, unreadable: false },
      judged: [],
    };
  }
  const flags: Flags = {
    substitution: parsed.substitution,
    expansion: parsed.expansion,
    unreadable: parsed.unreadable,
  };
  const parts = judgedParts(parsed, flags, 0);
  // The engine does not know the shell: a backslash may also be a Windows path separator (`type C:\x\.env`).
  if (command.includes('\\')) {
    parts.push(...judgedParts(parseCommand(command.replaceAll('\\', '/')), { ...flags }, 0, false));
  }
  const directories = workingDirectories(parts.map((part) => part.wordForms));
  return {
    whole,
    parsed,
    runsNothing: false,
    flags,
    judged: parts.map((part, index) => ({ ...part, directories: directories[index] })),
  };
}

/** How many characters the strings of the parts hold (text, words, spellings, paths, folders). */
function characters(judged: readonly JudgedPart[]): number {
  let total = 0;
  const add = (list: readonly string[] | undefined) => {
    if (list) for (const text of list) total += text.length;
  };
  for (const part of judged) {
    total += part.part.length;
    for (const list of [part.words, part.args, part.writes, part.forms, part.optionWrites]) add(list);
    for (const list of [part.argumentWrites, part.deletes, part.directories, ...part.wordForms]) add(list);
  }
  return total;
}

/** A simple command to judge: as written, the files it names or redirects, and its spellings (commandForms). */
export interface JudgedPart {
  readonly part: string;
  /** Its words as parsed, leading assignments first. */
  readonly words: readonly string[];
  /** Words that may name files it reads: arguments and `<` targets. */
  readonly args: readonly string[];
  readonly writes: readonly string[];
  readonly forms: readonly string[];
  readonly wordForms: readonly (readonly string[])[];
  /** Paths its option values name (see optionValues): files it may write. */
  readonly optionWrites: readonly string[];
  /** Paths its arguments write or delete, by what the command is known to do with them (argumentEffects). */
  readonly argumentWrites: readonly string[];
  readonly deletes: readonly string[];
  /** The folders it may run in (workingDirectories), undefined when a `cd` before it makes that unknowable. */
  readonly directories?: readonly string[] | undefined;
  /** Whether the allow list decides it: not for the extra Windows reading of a command with backslashes. */
  readonly allowable: boolean;
}

const NO_FLAGS = { substitution: false, expansion: false, redirection: false, unreadable: false };

/** What makes a command's words unknowable, from its parse and those of the scripts its shells run. */
type Flags = { -readonly [K in 'substitution' | 'expansion' | 'unreadable']: boolean };

// How deep `sh -c "sh -c '…'"` is followed; deeper scripts are still judged as the words of their shell.
const MAX_SHELL_DEPTH = 3;
// How many spellings of one part are searched for inner commands, and how many words the distinct inner commands
// of one command may hold, before the rest is unreadable (approval): `eval eval … x` would otherwise multiply.
const MAX_INNER_FORMS = 32;
const MAX_INNER_WORDS = 512;
interface Budget {
  words: number;
  readonly seen: Set<string>;
}

/**
 * The simple commands with their spellings, followed by those of every inner command a part runs (inner-commands:
 * `bash -c 'cat .env'` runs `cat .env`, `find . -exec sudo x \;` runs `sudo x`): an inner command is a command like
 * any other, not an opaque argument, and what its parser could not read or saw expanded counts in `flags` as for
 * the command itself. Text that is only a guess at the inner command (`watch -n 1 x`) is not decided by the allow
 * list.
 */
function judgedParts(
  parsed: ParsedCommand,
  flags: Flags,
  depth: number,
  allowable = true,
  budget: Budget = { words: MAX_INNER_WORDS, seen: new Set() },
): JudgedPart[] {
  const judged: JudgedPart[] = [];
  for (const { text, words, reads, writes } of parsed.commands) {
    const wordForms = commandForms(words);
    // The words that may name files: without the values of options known to name something else (`--context prod`).
    const pathWords = withoutNonPathOptions(words);
    const args = [...pathWords.slice(1), ...reads];
    const effects = wordForms.map(argumentEffects);
    judged.push({
      part: text,
      words,
      args,
      writes,
      forms: [text, ...wordForms.map((form) => form.join(' '))],
      wordForms,
      optionWrites: optionValues(pathWords.slice(1)),
      argumentWrites: effects.flatMap((effect) => effect.writes),
      deletes: effects.flatMap((effect) => effect.deletes),
      allowable,
    });
    if (depth >= MAX_SHELL_DEPTH) continue;
    // Inner commands multiply with the words (`eval eval … x`): past the budget, the rest is not read.
    if (wordForms.length > MAX_INNER_FORMS) flags.unreadable = true;
    for (const form of wordForms.slice(0, MAX_INNER_FORMS)) {
      const { scripts, commands } = innerCommands(form);
      const inner = [
        ...scripts.map(({ text, exact }) => ({
          key: `${exact}\0${text}`,
          exact,
          size: text.split(/\s+/).length,
          read: () => parseCommand(text),
        })),
        ...commands.map((words) => ({
          key: `words\0${words.join('\0')}`,
          exact: true,
          size: words.length,
          read: () => ({ ...NO_FLAGS, commands: [{ text: words.join(' '), words, reads: [], writes: [] }] }),
        })),
      ];
      for (const { key, exact, size, read } of inner) {
        if (budget.seen.has(key)) continue;
        budget.seen.add(key);
        budget.words -= size;
        if (budget.words < 0) {
          flags.unreadable = true;
          continue;
        }
        const parsedInner = read();
        flags.substitution ||= parsedInner.substitution;
        flags.expansion ||= parsedInner.expansion;
        flags.unreadable ||= parsedInner.unreadable;
        judged.push(...judgedParts(parsedInner, flags, depth + 1, allowable && exact, budget));
      }
    }
  }
  return judged;
}

/**
 * Words a command may take as a file to write, since the engine does not know which options write: every value
 * after `=` (`--output=x`, `of=x`) and the word after a long option (`--output x`; `--` itself is none).
 */
function optionValues(args: readonly string[]): string[] {
  const values: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    if (word === '--') continue;
    const equals = word.indexOf('=');
    if (equals >= 0) values.push(word.slice(equals + 1));
    else if (word.startsWith('--') && index + 1 < args.length) values.push(args[index + 1] as string);
  }
  return values.filter((value) => value !== '');
}
