import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { argumentEffects } from '../src/argument-writes.js';
import { firstHoldingPattern } from '../src/deleted-folders.js';
import { deletedReach } from '../src/deleted-reach.js';
import { codeVariableSet } from '../src/exported-variables.js';
import { compilePolicyPack, type Engine, loadBaselinePack, parsePolicyPack } from '../src/index.js';
import { workingDirectories } from '../src/working-directory.js';
import { exactEngine, request } from './support/engine.js';

let baseline: Engine;
let developer: Engine;
beforeAll(async () => {
  const pack = await loadBaselinePack();
  baseline = exactEngine([pack]);
  // The baseline with a team's permissive allow list (`cp *`, `rm *`, `export *`, `cd *`, `sed -n *`, ...).
  const allow = JSON.parse(readFileSync(new URL('corpora/developer-allow.json', import.meta.url), 'utf8'));
  const document = {
    ...pack.resolved,
    metadata: { id: 'cavra-ai-agent-baseline', version: '1' },
    commands: { ...pack.resolved.commands, allow },
  };
  developer = exactEngine([compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' }))]);
});

function decide(engine: Engine, command: string): [string, string, string] {
  const { decision, ruleId, reason } = engine.evaluate(request('execute_command', command));
  return [decision, ruleId, reason];
}

// [command, decision, rule id, reason], the same under the baseline and under the developer allow list.
const BOTH: readonly (readonly [string, string, string, string])[] = [
  [
    'cat .e\\\nnv',
    'block',
    'filesystem.read.block',
    "command 'cat .env' names '.env', which is blocked for reading by pattern '.env' (filesystem.block_read[0])",
  ],
  [
    'git push origin HEAD:ma\\\nin',
    'block',
    'commands.block',
    "command 'git push origin HEAD:main' is blocked by pattern 'git push *:main' (commands.block[12])",
  ],
  [
    'npm test -- --requ\\\nire ./pwn.js',
    'require_approval',
    'commands.default.require_approval',
    "command 'npm test -- --require ./pwn.js' passes '--require', which changes what the runner runs: no allow rule covers it",
  ],
  [
    'cp payload.sh .git/hooks/pre-commit',
    'block',
    'filesystem.write.block',
    "command 'cp payload.sh .git/hooks/pre-commit' writes '.git/hooks/pre-commit', which is blocked for writing by pattern '**/.git/**' (filesystem.block_write[10])",
  ],
  [
    'cd .git/hooks && cp ../../x pre-commit',
    'block',
    'filesystem.write.block',
    "command 'cp ../../x pre-commit' writes '.git/hooks/pre-commit', which is blocked for writing by pattern '**/.git/**' (filesystem.block_write[10])",
  ],
  [
    'terraform plan -out .github/workflows/ci.yml',
    'block',
    'filesystem.write.block',
    "command 'terraform plan -out .github/workflows/ci.yml' writes '.github/workflows/ci.yml', which is blocked for writing by pattern '.github/workflows/**' (filesystem.block_write[0])",
  ],
  [
    'sed -n -i s/a/b/ package.json',
    'require_approval',
    'filesystem.write.require_approval',
    "command 'sed -n -i s/a/b/ package.json' may write 'package.json', which requires approval (pattern '**/package.json', filesystem.require_approval_write[6])",
  ],
  [
    'rm -r -f ~',
    'block',
    'filesystem.write.block',
    "command 'rm -r -f ~' deletes '~', a home folder, which no allow rule may cover",
  ],
  [
    'rm -rf .github',
    'block',
    'filesystem.write.block',
    "command 'rm -rf .github' deletes '.github', which holds what pattern '.github/workflows/**' blocks for writing (filesystem.block_write[0])",
  ],
  [
    'find / -name x -delete',
    'block',
    'filesystem.write.block',
    "command 'find / -name x -delete' deletes '/', the file system root, which no allow rule may cover",
  ],
  [
    'cd - && cat notes.txt',
    'require_approval',
    'commands.default.require_approval',
    "command 'cat notes.txt' runs after a cd to a folder the policy cannot know, so the paths it names cannot be judged",
  ],
  [
    "export NODE_OPTIONS='--require ./pwn.js' && npm test",
    'require_approval',
    'commands.default.require_approval',
    "command 'export NODE_OPTIONS='--require ./pwn.js'' sets NODE_OPTIONS, which changes code every node process loads: no allow rule covers it",
  ],
  [
    'set -a; LD_PRELOAD=./x.so; ls',
    'require_approval',
    'commands.default.require_approval',
    "command 'LD_PRELOAD=./x.so' sets LD_PRELOAD, which changes the libraries every program loads: no allow rule covers it",
  ],
  [
    'env GIT_SSH_COMMAND=./pwn git fetch',
    'require_approval',
    'commands.default.require_approval',
    "command 'env GIT_SSH_COMMAND=./pwn git fetch' sets GIT_SSH_COMMAND, which changes a program git runs: no allow rule covers it",
  ],
];

// [command, decision, rule id, reason] under the developer allow list, whose `rm *`, `find *` and `cd *` would
// allow them (the baseline allows none of them: they are on no list).
const DEVELOPER: readonly (readonly [string, string, string, string])[] = [
  [
    'cd .git/hooks',
    'require_approval',
    'commands.default.require_approval',
    "command 'cd .git/hooks' changes to '.git/hooks', where writing is protected: later relative paths would write there",
  ],
  [
    'rm -rf ../other-repo',
    'require_approval',
    'commands.default.require_approval',
    "command 'rm -rf ../other-repo' deletes '../other-repo', a folder outside the working tree: no allow rule covers it",
  ],
  [
    'rm -rf .',
    'require_approval',
    'commands.default.require_approval',
    "command 'rm -rf .' deletes '.', the working tree itself: no allow rule covers it",
  ],
  [
    'rm -rf /srv/data',
    'require_approval',
    'commands.default.require_approval',
    "command 'rm -rf /srv/data' deletes '/srv/data', a rooted path, which may be outside the working tree: no allow rule covers it",
  ],
  [
    'find . -delete',
    'require_approval',
    'commands.default.require_approval',
    "command 'find . -delete' deletes '.', the working tree itself: no allow rule covers it",
  ],
  ['rm -rf dist', 'allow', 'commands.allow', "command allowed by pattern 'rm *' (commands.allow[86])"],
  ['rm build/x.o', 'allow', 'commands.allow', "command allowed by pattern 'rm *' (commands.allow[86])"],
  [
    'cd packages/runtime && cp a.ts b.ts',
    'allow',
    'commands.allow',
    "command allowed by pattern 'cd *' (commands.allow[100])",
  ],
  [
    'export NODE_ENV=test',
    'allow',
    'commands.allow',
    "command allowed by pattern 'export *' (commands.allow[106])",
  ],
];

describe('the shell reading', () => {
  it.each(BOTH)('%j -> %s %s, under the baseline and the developer allow list', (command, ...expected) => {
    expect(decide(baseline, command)).toEqual(expected);
    expect(decide(developer, command)).toEqual(expected);
  });

  it.each(DEVELOPER)('%j -> %s %s under the developer allow list', (command, ...expected) => {
    expect(decide(developer, command)).toEqual(expected);
  });

  it('reads which arguments a command writes and deletes from its table entry', () => {
    expect(argumentEffects(['cp', '-t', 'd', 'a', 'b'])).toEqual({
      writes: ['d/a', 'd/b', 'd'],
      deletes: [],
    });
    expect(argumentEffects(['mv', 'a', 'b/'])).toEqual({ writes: ['b/a', 'b/', 'a'], deletes: ['a'] });
    expect(argumentEffects(['ln', '-s', '../x'])).toEqual({ writes: ['x'], deletes: [] });
    expect(argumentEffects(['sort', '-rk', '2', '-o', 'out', 'in'])).toEqual({
      writes: ['out'],
      deletes: [],
    });
    expect(argumentEffects(['sed', '-e', 's/a/b/', '-i', 'f', 'g'])).toEqual({
      writes: ['f', 'g'],
      deletes: [],
    });
    expect(argumentEffects(['sed', 's/a/b/', 'f'])).toEqual({ writes: [], deletes: [] });
    expect(argumentEffects(['go', 'build', '-overlay=o.json', '-o', 'bin/x'])).toEqual({
      writes: ['bin/x'],
      deletes: [],
    });
    expect(argumentEffects(['git', '-C', 'sub', 'clean', '-fd'])).toEqual({ writes: ['.'], deletes: ['.'] });
    expect(argumentEffects(['git', 'clean', '-n'])).toEqual({ writes: [], deletes: [] });
    expect(argumentEffects(['find', 'a', 'b', '-name', 'x', '-delete'])).toEqual({
      writes: ['a', 'b'],
      deletes: ['a', 'b'],
    });
    expect(argumentEffects(['find', 'a', '-name', 'x'])).toEqual({ writes: [], deletes: [] });
    expect(argumentEffects(['uniq', '-c', 'in', 'out'])).toEqual({ writes: ['out'], deletes: [] });
    expect(argumentEffects(['cat', 'x'])).toEqual({ writes: [], deletes: [] });
  });

  it('follows cd and pushd through a command line, and loses the folder after cd -', () => {
    expect(workingDirectories([[['cd', 'a']], [['cd', '..']], [['ls']]])).toEqual([
      ['.'],
      ['.', 'a'],
      ['.', 'a', '..'],
    ]);
    expect(workingDirectories([[['cd']], [['ls']]])).toEqual([['.'], ['.', '~']]);
    expect(workingDirectories([[['pushd', '+1']], [['ls']]])).toEqual([['.'], undefined]);
    expect(workingDirectories([[['cd', '-']], [['ls']]])).toEqual([['.'], undefined]);
  });

  it('tells deletes of the root or a home folder from deletes outside the tree', () => {
    expect(deletedReach('/')).toEqual({ reach: 'root', path: '/', what: 'the file system root' });
    expect(deletedReach('~user/')).toEqual({ reach: 'root', path: '~user', what: 'a home folder' });
    expect(deletedReach('..')?.reach).toBe('outside');
    expect(deletedReach('/tmp/x')?.reach).toBe('outside');
    expect(deletedReach('dist')).toBeUndefined();
  });

  it('finds the first pattern a deleted folder holds', () => {
    const patterns = ['**/*.pem', '.github/workflows/**', '**/.git/**'];
    expect(firstHoldingPattern(['dist', '.github'], patterns)).toEqual({
      index: 1,
      path: '.github',
      pattern: '.github/workflows/**',
    });
    expect(firstHoldingPattern(['vendor/.GIT'], patterns)?.index).toBe(2);
    expect(firstHoldingPattern(['a/.github', 'src', '.'], patterns)).toBeUndefined();
  });

  it('finds variables that change what runs, in every way a command sets them', () => {
    expect(codeVariableSet(['PATH=x', 'ls'], [])).toEqual({
      name: 'PATH',
      changes: 'which program each command name runs',
    });
    expect(codeVariableSet(['declare', '-n', 'r=PATH'], [])?.name).toBe('PATH');
    expect(codeVariableSet(['read', '-r', 'GIT_DIR'], [])?.name).toBe('GIT_DIR');
    expect(codeVariableSet(['printf', '-v', 'npm_config_prefix', '%s', 'x'], [])?.name).toBe(
      'npm_config_prefix',
    );
    expect(codeVariableSet(['export', 'NODE_ENV=production'], [])).toBeUndefined();
    expect(codeVariableSet(['FOO=1', 'npm', 'test'], [])).toBeUndefined();
  });
});
