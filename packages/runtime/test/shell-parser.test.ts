import { beforeAll, describe, expect, it } from 'vitest';
import { joinLineContinuations, loadShellParser, type ParsedCommand, parseCommand } from '../src/index.js';

beforeAll(() => loadShellParser());

/** The simple commands' words, in source order. */
function words(command: string): readonly (readonly string[])[] {
  return parseCommand(command).commands.map((simple) => simple.words);
}

function flags(parsed: ParsedCommand): string[] {
  return (['substitution', 'expansion', 'redirection', 'unreadable'] as const).filter((flag) => parsed[flag]);
}

// [command, the words of each simple command]: quoting, escapes and operators read as bash reads them.
const WORDS: readonly (readonly [string, readonly (readonly string[])[]])[] = [
  ['git log --grep="a;b"', [['git', 'log', '--grep=a;b']]],
  ["git log --grep='a && b | c'", [['git', 'log', '--grep=a && b | c']]],
  [
    'git commit -m "fix: a; b" && git status',
    [
      ['git', 'commit', '-m', 'fix: a; b'],
      ['git', 'status'],
    ],
  ],
  ['echo a\\;b c\\|d', [['echo', 'a;b', 'c|d']]],
  ['echo "a\\"b" \'c\\d\' "e\\f"', [['echo', 'a"b', 'c\\d', 'e\\f']]],
  [`git show 'HEAD:.e'"nv"`, [['git', 'show', 'HEAD:.env']]],
  ['git show HEAD:.e\\nv', [['git', 'show', 'HEAD:.env']]],
  ['a | b || c; d & e', [['a'], ['b'], ['c'], ['d'], ['e']]],
  ['a\nb', [['a'], ['b']]],
  ['FOO=1 BAR="x y" npm test', [['FOO=1', 'BAR=x y', 'npm', 'test']]],
  ['npm test # && sudo reboot', [['npm', 'test']]],
  ['(cd src && ls) || { echo no; }', [['cd', 'src'], ['ls'], ['echo', 'no']]],
  [
    'if git diff --quiet; then echo same; fi',
    [
      ['git', 'diff', '--quiet'],
      ['echo', 'same'],
    ],
  ],
  ['for f in a b; do cat "$f"; done', [['cat', '$f']]],
  ['f() { sudo x; }; f', [['sudo', 'x'], ['f']]],
  [
    'echo $(cat .env)',
    [
      ['cat', '.env'],
      ['echo', '$(cat .env)'],
    ],
  ],
  ['export A=1 B=2', [['export', 'A=1', 'B=2']]],
  ['git status', [['git', 'status']]],
  ['  npm   run\tbuild ', [['npm', 'run', 'build']]],
];

describe('the shell parser', () => {
  it.each(WORDS)('%j -> %j', (command, expected) => {
    expect(words(command)).toEqual(expected);
  });

  it('keeps each simple command as written, without its redirections, for the allow list', () => {
    expect(
      parseCommand('git log --grep="a;b"  |  head -n 5 2>&1').commands.map((simple) => simple.text),
    ).toEqual(['git log --grep="a;b"', 'head -n 5']);
  });

  it('reads redirection targets as files read and written, and descriptors as neither', () => {
    const parsed = parseCommand(
      'sort < in.txt > out.txt 2>&1; npm test &> all.log; { a; b; } >> .git/config',
    );
    expect(parsed.commands.map(({ reads, writes }) => ({ reads, writes }))).toEqual([
      { reads: ['in.txt'], writes: ['out.txt'] },
      { reads: [], writes: ['all.log'] },
      { reads: [], writes: ['.git/config'] },
      { reads: [], writes: ['.git/config'] },
    ]);
    expect(parseCommand('npm test 2>&1 >&2 3>&-').redirection).toBe(false);
    expect(parseCommand('npm test 2>/dev/null >/dev/stderr; ls &>/dev/null').redirection).toBe(false);
    expect(parseCommand('npm test > /dev/null.txt').redirection).toBe(true);
  });

  // [command, flags]: what makes the words the shell runs differ from the words read.
  const FLAGS: readonly (readonly [string, readonly string[]])[] = [
    ['git log --grep="a;b"', []],
    ['echo "$HOME"', ['expansion']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    ['git show HEAD:.en${X}v', ['expansion']],
    ["cat $'\\x2eenv'", ['expansion']],
    ['echo $"x"', ['expansion']],
    ['ls src/*.ts', ['expansion']],
    ['ls "src/*.ts"', []],
    ['ls src/\\*.ts', []],
    ['cat .en?', ['expansion']],
    ['cat .[e]nv', ['expansion']],
    ['cat {a,b}.txt', ['expansion']],
    ['echo $((1 + 2))', ['expansion']],
    ['echo `id`', ['substitution']],
    ['diff <(ls a) <(ls b)', ['substitution']],
    ['cat <<EOF\n$(id)\nEOF', ['substitution']],
    ['npm test > out.log', ['redirection']],
    ['echo "unterminated', ['unreadable']],
    ['(( x++ ))', ['unreadable']],
    [`x ${'$(echo '.repeat(70)}${')'.repeat(70)}`, ['substitution', 'unreadable']],
    [`echo ${'a'.repeat(2100)}`, []],
    [`echo "${'a'.repeat(2100)}"`, ['unreadable']],
  ];

  it.each(FLAGS)('%j sets %j', (command, expected) => {
    expect(flags(parseCommand(command))).toEqual(expected);
  });

  it('still finds the commands around text it cannot read', () => {
    expect(words('sudo reboot; echo "')[0]).toEqual(['sudo', 'reboot']);
    expect(words('echo $(sudo reboot)')[0]).toEqual(['sudo', 'reboot']);
  });

  // [text, as bash reads it]: a backslash-newline is removed where bash removes it, and kept where bash keeps it.
  const JOINED: readonly (readonly [string, string])[] = [
    ['cat .e\\\nnv', 'cat .env'],
    ['su\\\ndo reboot', 'sudo reboot'],
    ['cat ".e\\\nnv"', 'cat ".env"'],
    ["cat '.e\\\nnv'", "cat '.e\\\nnv'"],
    ["echo $'a\\\nb'", "echo $'a\\\nb'"],
    ['echo a\\\\\nb', 'echo a\\\\\nb'],
    ['echo a\\\\\\\nb', 'echo a\\\\b'],
    ['echo x #c\\\necho y', 'echo x #c\\\necho y'],
    ['echo x \\\n#c\\\nsudo reboot', 'echo x #c\\\nsudo reboot'],
    ['cat <<EOF\na\\\nb\nEOF', 'cat <<EOF\nab\nEOF'],
    ["cat <<'EOF'\na\\\nb\nEOF", "cat <<'EOF'\na\\\nb\nEOF"],
    [`echo ${'a\\\n'.repeat(65)}`, `echo ${'a\\\n'.repeat(65)}`],
  ];

  it.each(JOINED)('joins the line continuations of %j as bash does', (text, joined) => {
    expect(joinLineContinuations(text)).toBe(joined);
  });

  it('reads words through line continuations, and more of them than it follows as unreadable', () => {
    expect(words('git push origin HEAD:ma\\\nin')).toEqual([['git', 'push', 'origin', 'HEAD:main']]);
    expect(flags(parseCommand(`echo ${'a\\\n'.repeat(65)}`))).toEqual(['unreadable']);
    expect(flags(parseCommand('git status\r\nsudo reboot'))).toEqual(['unreadable']);
  });

  it('reads plain words without the parser exactly as the parser does', () => {
    // The fast path (text without any special character) must agree with the grammar on everything it takes.
    const plain = [
      'git status',
      'npm run build --if-present',
      'ls -la src/a_b.c',
      'FOO=1 npm test',
      'a  b\tc',
    ];
    for (const command of plain) {
      const fast = parseCommand(command);
      const parsed = parseCommand(`${command} #`);
      expect(fast.commands).toEqual(parsed.commands);
      expect(flags(fast)).toEqual(flags(parsed));
    }
  });
});
