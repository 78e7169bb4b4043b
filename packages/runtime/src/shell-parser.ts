import { createRequire } from 'node:module';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { PARSE_MEMO_SIZE, ParseMemo } from './parse-memo.js';
import { ShellParserNotLoadedError } from './shell-parser-not-loaded.js';

/**
 * The shell grammar: tree-sitter-bash run by web-tree-sitter (WebAssembly). Loading it is asynchronous, parsing is
 * not, so it is loaded once per process (loadShellParser, which the pack loaders call) before an engine is built, or,
 * for an engine built with `deferShellParser`, while it already decides what needs no parse (evaluateWhenReady).
 * web-tree-sitter is imported statically: the daemon's bundled command runs in a `vm.Script` with a code cache, where
 * `import()` is not available.
 */
let loading: Promise<void> | undefined;
let parser: Parser | undefined;

/**
 * Loads the shell parser the `execute_command` rules need; `createEngine` throws until it has (unless built with
 * `deferShellParser`). The pack loaders
 * (`loadPolicyPackFile`, `loadBaselinePack`) call it, so only code that compiles packs itself needs to. Safe to call
 * any number of times; a failed load is retried on the next call.
 */
export function loadShellParser(): Promise<void> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<void> {
  await Parser.init();
  const grammar = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
  const bash = await Language.load(grammar);
  const loaded = new Parser();
  loaded.setLanguage(bash);
  parser = loaded;
}

/** Whether loadShellParser has finished. */
export function isShellParserLoaded(): boolean {
  return parser !== undefined;
}

/** One simple command as the shell runs it. */
export interface SimpleCommand {
  /** The command as written (whitespace collapsed), without its redirections: what the allow list sees. */
  readonly text: string;
  /** Its words unquoted, leading assignments first (`FOO=1 npm test` is `FOO=1`, `npm`, `test`). */
  readonly words: readonly string[];
  /** Files the shell opens for reading (`< file`, `<> file`), its own and those of enclosing statements. */
  readonly reads: readonly string[];
  /** Files the shell opens for writing (`> file`, `>> file`, `&> file`, `>&file`), likewise. */
  readonly writes: readonly string[];
}

/** A command line as the shell parses it: every simple command it may run, and what the parser could not read. */
export interface ParsedCommand {
  /**
   * Every simple command, in source order, wherever it stands: in lists, pipelines, subshells, groups, loops,
   * conditions, function bodies and inside substitutions. A statement that is not a simple command (a bare
   * assignment `X=1`, `export X=1`, `[[ … ]]`, or text the parser could not read) is one too, as its text.
   */
  readonly commands: readonly SimpleCommand[];
  /** `$(…)`, backticks, `<(…)`, `>(…)`: commands whose output becomes words the policy cannot see. */
  readonly substitution: boolean;
  /** Parameters, arithmetic, `$'…'`, `$"…"`, unquoted globs and braces: words the policy cannot see. */
  readonly expansion: boolean;
  /** Output redirected to a file. */
  readonly redirection: boolean;
  /** Text the parser could not read, or a construct this module does not read (`(( … ))`, `for ((…))`, …). */
  readonly unreadable: boolean;
}

/**
 * Parses a command line with the bash grammar, its line continuations joined first as bash joins them
 * (joinLineContinuations). Never throws for any input text; throws ShellParserNotLoadedError (a TypeError) when the
 * text needs the parser and it is not loaded (see loadShellParser): text of plain words needs none. The parses of text with shell syntax are kept by exact text (the last PARSE_MEMO_SIZE used, see
 * parse-memo.ts) and deep-frozen: the same text may give back the same object.
 */
export function parseCommand(command: string): ParsedCommand {
  if (PLAIN_WORDS.test(command) && !RESERVED_WORDS.has(command.trim().split(/[ \t]/, 1)[0] as string)) {
    return plainCommand(command);
  }
  if (command.length > MAX_PARSED_LENGTH) return unparsedCommand(command);
  return memo ? memo.get(command, parseShellSyntax) : parseShellSyntax(command);
}

// Parses of text with shell syntax, by exact text (parse-memo.ts); undefined only while a test replays without it.
let memo: ParseMemo<ParsedCommand> | undefined = new ParseMemo(PARSE_MEMO_SIZE);

/** Replaces the memo of parses (undefined: none); returns the one it replaces. For tests and measurements only. */
export function replaceParseMemo(
  next: ParseMemo<ParsedCommand> | undefined,
): ParseMemo<ParsedCommand> | undefined {
  const previous = memo;
  memo = next;
  return previous;
}

/** Reads text with shell syntax through tree-sitter (the loaded parser). */
function parseShellSyntax(command: string): ParsedCommand {
  if (!parser) throw new ShellParserNotLoadedError();
  const joined = joinContinuations(parser, command);
  if (joined === undefined) return unparsedCommand(command);
  const tree = parser.parse(joined);
  if (!tree) throw new TypeError('the shell parser returned no tree');
  try {
    const reader = new Reader();
    reader.statement(tree.rootNode, []);
    return {
      commands: reader.commands,
      substitution: reader.substitution,
      expansion: reader.expansion,
      redirection: reader.redirection,
      // bash reads a carriage return as part of a word (`git status\r` passes `status\r`), the grammar as a blank.
      unreadable: reader.unreadable || tree.rootNode.hasError || joined.includes('\r'),
    };
  } finally {
    tree.delete();
  }
}

/**
 * The text as bash reads it, line continuations removed: bash drops every backslash-newline that no quote or comment
 * holds (in words, in double quotes, in unquoted here-document bodies) before it splits words, so `cat .e\⏎nv` runs
 * `cat .env` and `ma\⏎in` names `main`. Kept, as bash keeps them: inside single quotes and `$'…'`, in a comment,
 * in the body of a here-document whose delimiter is quoted, and after an escaped backslash (`\\⏎`). Throws
 * ShellParserNotLoadedError (a TypeError) when the text holds a backslash-newline and the parser is not loaded.
 * Text longer than the parser reads, or with more continuations than are followed, is returned as written
 * (parseCommand then reads it as unreadable).
 */
export function joinLineContinuations(text: string): string {
  if (text.length > MAX_PARSED_LENGTH || !text.includes('\\\n')) return text;
  if (!parser) throw new ShellParserNotLoadedError();
  return joinContinuations(parser, text) ?? text;
}

// Each continuation costs a parse (below); more than this many in one command line is no command a person writes.
const MAX_CONTINUATIONS = 64;
// Where bash keeps a backslash-newline as written.
const KEEPS_CONTINUATION = new Set(['raw_string', 'ansi_c_string', 'comment']);

/**
 * Removes continuations one at a time, leftmost first, parsing again after each: a removal can change how the rest
 * reads (`echo a\⏎#b` holds no comment), and bash reads text left to right, so what precedes a continuation decides
 * it. Undefined when there are more than MAX_CONTINUATIONS.
 */
function joinContinuations(shell: Parser, text: string): string | undefined {
  let joined = text;
  let from = 0;
  for (let removed = 0; ; removed += 1) {
    const at = nextContinuation(shell, joined, from);
    if (at < 0) return joined;
    if (removed === MAX_CONTINUATIONS) return undefined;
    joined = joined.slice(0, at) + joined.slice(at + 2);
    from = at;
  }
}

/** The offset of the first backslash-newline at or after `from` that bash removes, or -1. */
function nextContinuation(shell: Parser, text: string, from: number): number {
  let at = text.indexOf('\\\n', from);
  if (at < 0) return -1;
  const tree = shell.parse(text);
  if (!tree) throw new TypeError('the shell parser returned no tree');
  try {
    for (; at >= 0; at = text.indexOf('\\\n', at + 1)) {
      if (escapedBackslash(text, at)) continue;
      if (!keepsContinuation(tree.rootNode.descendantForIndex(at, at + 1))) return at;
    }
    return -1;
  } finally {
    tree.delete();
  }
}

/** Whether the backslash at `at` is itself escaped: an odd number of backslashes stands right before it. */
function escapedBackslash(text: string, at: number): boolean {
  let start = at;
  while (start > 0 && text[start - 1] === '\\') start -= 1;
  return (at - start) % 2 === 1;
}

function keepsContinuation(node: Node | null): boolean {
  for (let current: Node | null = node; current; current = current.parent) {
    const type = current.type;
    if (KEEPS_CONTINUATION.has(type)) return true;
    if (type === 'heredoc_body') return quotedHeredoc(current);
  }
  return false;
}

/** `<<'EOF'`, `<<"EOF"`, `<<\EOF`: a delimiter with any quoting keeps its body as written. */
function quotedHeredoc(body: Node): boolean {
  const start = body.parent?.namedChildren.find((child) => child.type === 'heredoc_start');
  return start !== undefined && /['"\\]/.test(start.text);
}

/**
 * Text without any character the shell treats specially (quotes, escapes, operators, redirections, expansions,
 * globs, comments, tildes, braces, newlines) is split at blanks and nothing else: the parser's answer is known
 * without asking it, and asking costs about a hundred times more (the parser test checks both agree).
 */
const PLAIN_WORDS = /^[A-Za-z0-9 \t._/:=@%+,-]*$/;
// Words that start a compound command or change how the next one runs; plain text starting with one is parsed.
const RESERVED_WORDS = new Set([
  'case',
  'coproc',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
]);

function plainCommand(command: string): ParsedCommand {
  const words = command.split(/[ \t]+/).filter((word) => word !== '');
  return {
    commands: words.length === 0 ? [] : [{ text: words.join(' '), words, reads: [], writes: [] }],
    substitution: false,
    expansion: false,
    redirection: false,
    unreadable: false,
  };
}

/**
 * Parsing and reading cost grow with the text (2 KiB of one-letter commands take about half a second), so longer
 * text is not parsed: it is one statement the block lists still see as written, and unreadable, so it is never
 * allowed unasked.
 */
const MAX_PARSED_LENGTH = 2048;

function unparsedCommand(command: string): ParsedCommand {
  return {
    commands: [{ text: command.trim().replace(/\s+/g, ' '), words: [], reads: [], writes: [] }],
    substitution: false,
    expansion: false,
    redirection: false,
    unreadable: true,
  };
}

// Deeper nesting (`$(echo $(echo …))`, `{ { … } }`) is not read further: it is unreadable.
const MAX_DEPTH = 64;

interface Redirects {
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

// Statements that only hold other statements: every statement in them is read on its own.
const CONTAINERS = new Set([
  'program',
  'list',
  'pipeline',
  'subshell',
  'compound_statement',
  'negated_command',
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'do_group',
  'for_statement',
  'case_statement',
  'case_item',
  'function_definition',
]);
// Statements read as their text: on no allow list unless a pattern names them, and their words still checked.
const TEXT_STATEMENTS = new Set([
  'variable_assignment',
  'variable_assignments',
  'declaration_command',
  'unset_command',
  'test_command',
]);
const SUBSTITUTIONS = new Set(['command_substitution', 'process_substitution']);
const EXPANSIONS = new Set([
  'simple_expansion',
  'expansion',
  'arithmetic_expansion',
  'ansi_c_string',
  'translated_string',
  'brace_expression',
]);
// Unquoted glob characters (`*`, `?`, `[…]`) and brace expansion (`{a,b}`, `{1..3}`): bash expands them.
const GLOB = /[*?]|\[[^\]]*\]|\{[^}]*(?:,|\.\.)[^}]*\}/;
// A quoted or escaped character stands in the masked form of a word as this, which no pattern above matches.
const QUOTED = '\u0001';

/** Reads statements depth first, collecting simple commands and what makes their words unknowable. */
class Reader {
  readonly commands: SimpleCommand[] = [];
  substitution = false;
  expansion = false;
  redirection = false;
  unreadable = false;
  private depth = 0;

  /** Runs a nested read unless the nesting is too deep, which makes the command unreadable instead. */
  private nested<T>(fallback: T, read: () => T): T {
    if (this.depth >= MAX_DEPTH) {
      this.unreadable = true;
      return fallback;
    }
    this.depth += 1;
    try {
      return read();
    } finally {
      this.depth -= 1;
    }
  }

  statement(node: Node, outer: readonly Redirects[]): void {
    this.nested(undefined, () => this.readStatement(node, outer));
  }

  private readStatement(node: Node, outer: readonly Redirects[]): void {
    // Each read of a node's type is a call into the parser's WebAssembly: read once per node.
    const type = node.type;
    if (type === 'command') this.command(node, outer);
    else if (type === 'redirected_statement') this.redirected(node, outer);
    else if (CONTAINERS.has(type)) {
      for (const child of node.namedChildren) this.inner(child, outer);
    } else if (TEXT_STATEMENTS.has(type)) {
      this.textStatement(node, type, outer);
    } else if (type === 'comment') {
      // Comments run nothing.
    } else {
      // ERROR, `(( … ))`, `for ((…))`, or a node type this reader does not know: judged as its text, never allowed
      // unasked (the unreadable flag), and searched for commands (a blocked command in it still blocks).
      this.unreadable = true;
      this.textStatement(node, type, outer);
    }
  }

  /** A child of a container: a statement, or a word of the container itself (`for x in a b`, `case` patterns). */
  private inner(node: Node, outer: readonly Redirects[]): void {
    const type = node.type;
    if (type === 'variable_name' || type === 'heredoc_body') return;
    if (WORD_NODES.has(type)) this.word(node);
    else this.statement(node, outer);
  }

  private command(node: Node, outer: readonly Redirects[]): void {
    const words: string[] = [];
    const own: Redirects[] = [];
    for (const child of node.namedChildren) {
      const type = child.type;
      if (type === 'file_redirect' || type === 'herestring_redirect') own.push(this.redirect(child));
      else if (type === 'variable_assignment') words.push(this.assignment(child));
      else if (type === 'command_name') words.push(this.word(child.namedChildren[0] ?? child));
      else if (type === 'comment') continue;
      else words.push(this.word(child));
    }
    // `$"…"` is parsed as a `$` token beside a string: a translated string, whose words the policy cannot see.
    const text = node.text;
    if (text.includes('$') && node.children.some((child) => !child.isNamed && child.type === '$'))
      this.expansion = true;
    this.push(text, words, [...outer, ...own]);
  }

  private redirected(node: Node, outer: readonly Redirects[]): void {
    const own: Redirects[] = [];
    for (const child of node.childrenForFieldName('redirect')) {
      if (child.type === 'heredoc_redirect') own.push(...this.heredoc(child));
      else own.push(this.redirect(child));
    }
    const body = node.childForFieldName('body');
    const redirects = [...outer, ...own];
    if (body) this.statement(body, redirects);
    // `> file` alone runs nothing but still creates the file.
    else if (own.length > 0) this.push('', [], redirects);
  }

  private textStatement(node: Node, type: string, outer: readonly Redirects[]): void {
    // Its keyword (`export`, `local`, `unset`, `[[`) first, so the block and approval lists can name it.
    const keyword = node.children[0];
    const words = keyword && !keyword.isNamed ? [keyword.text] : [];
    if (type === 'variable_assignment') words.push(this.assignment(node));
    else this.searchWords(node, words, outer);
    this.push(node.text, words, outer);
  }

  /** Reads every word and redirect under a node read as text, and every statement nested in it. */
  private searchWords(node: Node, words: string[], outer: readonly Redirects[]): void {
    this.nested(undefined, () => this.readWords(node, words, outer));
  }

  private readWords(node: Node, words: string[], outer: readonly Redirects[]): void {
    for (const child of node.namedChildren) {
      const type = child.type;
      if (type === 'command' || type === 'redirected_statement' || CONTAINERS.has(type)) {
        this.statement(child, outer);
      } else if (type === 'variable_assignment') words.push(this.assignment(child));
      else if (WORD_NODES.has(type)) words.push(this.word(child));
      else this.searchWords(child, words, outer);
    }
  }

  private assignment(node: Node): string {
    const value = node.childForFieldName('value');
    const name = node.childForFieldName('name')?.text ?? '';
    // `A=(x y)` assigns an array, `A[i]=x` an element: the subscript and elements are arithmetic and words.
    if (node.namedChildren.some((child) => SUBSCRIPT_OR_ARRAY.has(child.type))) {
      this.expansion = true;
      this.scan(node);
      return node.text;
    }
    return `${name}=${value ? this.word(value) : ''}`;
  }

  private redirect(node: Node): Redirects {
    const operator = node.children.find((child) => !child.isNamed)?.type ?? '';
    const destinations = node.childrenForFieldName('destination');
    const targets = destinations.map((destination) => this.word(destination));
    if (node.type === 'herestring_redirect') {
      // `<<< word`: the word is data, not a file.
      for (const child of node.namedChildren) this.word(child);
      return { reads: [], writes: [] };
    }
    // `>&2`, `<&3`, `>&-`, `2>&1`: a descriptor is duplicated or closed, no file is opened.
    if (operator.includes('&') && operator !== '&>' && operator !== '&>>' && targets.every(isDescriptor)) {
      return { reads: [], writes: [] };
    }
    if (operator === '<' || operator === '<&') return { reads: targets, writes: [] };
    if (operator === '<>') return { reads: targets, writes: targets };
    // `/dev/null` discards what is written, `/dev/stdout` and `/dev/stderr` are the descriptors: no file is written.
    if (targets.length > 0 && targets.every((target) => OUTPUT_STREAMS.has(target)))
      return { reads: [], writes: [] };
    this.redirection = true;
    return { reads: [], writes: targets };
  }

  /** `<<EOF`: the redirections written on its line. An unquoted delimiter expands the body, so it is scanned. */
  private heredoc(node: Node): Redirects[] {
    const redirects: Redirects[] = [];
    for (const child of node.namedChildren) {
      const type = child.type;
      if (type === 'heredoc_body') this.scan(child);
      else if (type === 'file_redirect') redirects.push(this.redirect(child));
    }
    return redirects;
  }

  /**
   * The value of one word as the shell passes it, quotes removed and escapes applied; a part the shell would
   * expand stays as written and sets the flag that keeps the command from being allowed unasked.
   */
  word(node: Node): string {
    const { value, masked } = this.pieces(node);
    if (GLOB.test(masked)) this.expansion = true;
    return value;
  }

  private pieces(node: Node): { value: string; masked: string } {
    return this.nested({ value: node.text, masked: QUOTED }, () => this.readPieces(node));
  }

  private readPieces(node: Node): { value: string; masked: string } {
    const type = node.type;
    switch (type) {
      case 'word':
      case 'number':
      case 'extglob_pattern': {
        const text = node.text;
        return { value: unescapeUnquoted(text), masked: text.replace(/\\(?:.|\n)/gs, QUOTED) };
      }
      case 'raw_string':
        return { value: node.text.slice(1, -1), masked: QUOTED };
      case 'string': {
        let value = '';
        for (const child of node.namedChildren) {
          const childType = child.type;
          if (childType === 'string_content') value += child.text.replace(/\\([$`"\\\n])/g, unescapeDouble);
          else value += this.expandable(child, childType);
        }
        return { value, masked: QUOTED };
      }
      case 'concatenation': {
        let value = '';
        let masked = '';
        for (const child of node.children) {
          const piece = child.isNamed ? this.pieces(child) : { value: child.text, masked: child.text };
          value += piece.value;
          masked += piece.masked;
        }
        return { value, masked };
      }
      default:
        return { value: this.expandable(node, type), masked: QUOTED };
    }
  }

  /** A part the shell expands (or a node this reader does not know): flagged, read as written. */
  private expandable(node: Node, type: string = node.type): string {
    if (!SUBSTITUTIONS.has(type) && !EXPANSIONS.has(type)) this.unreadable = true;
    this.scan(node);
    return node.text;
  }

  /** Flags every substitution and expansion in a node, and reads the statements its substitutions run. */
  private scan(node: Node): void {
    this.nested(undefined, () => this.readScan(node));
  }

  private readScan(node: Node): void {
    const type = node.type;
    if (SUBSTITUTIONS.has(type)) {
      this.substitution = true;
      for (const statement of node.namedChildren) this.statement(statement, []);
      return;
    }
    if (EXPANSIONS.has(type)) this.expansion = true;
    for (const child of node.namedChildren) this.scan(child);
  }

  private push(text: string, words: string[], redirects: readonly Redirects[]): void {
    this.commands.push({
      text: text.trim().replace(/\s+/g, ' '),
      words,
      reads: redirects.flatMap((redirect) => redirect.reads),
      writes: redirects.flatMap((redirect) => redirect.writes),
    });
  }
}

const WORD_NODES = new Set([
  'word',
  'number',
  'raw_string',
  'string',
  'concatenation',
  'extglob_pattern',
  ...SUBSTITUTIONS,
  ...EXPANSIONS,
]);

const SUBSCRIPT_OR_ARRAY = new Set(['subscript', 'array']);

const OUTPUT_STREAMS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr']);

function isDescriptor(word: string): boolean {
  return /^(?:[0-9]+-?|-)$/.test(word);
}

/** Outside quotes a backslash escapes the next character, and a backslash-newline joins lines. */
function unescapeUnquoted(text: string): string {
  return text.replace(/\\(.|\n)?/gs, (_, next: string | undefined) =>
    next === undefined ? '\\' : next === '\n' ? '' : next,
  );
}

function unescapeDouble(_: string, next: string): string {
  return next === '\n' ? '' : next;
}
