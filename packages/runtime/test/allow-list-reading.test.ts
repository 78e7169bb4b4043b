import { beforeAll, describe, expect, it } from 'vitest';
import { withoutHarmlessAssignments } from '../src/harmless-variables.js';
import {
  type CompiledPolicyPack,
  compilePolicyPack,
  type Engine,
  loadBaselinePack,
  loadDeveloperPack,
  parsePolicyPack,
} from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

let developer: Engine;
beforeAll(async () => {
  developer = exactEngine([await loadDeveloperPack()]);
});

function decide(command: string): [string, string, string] {
  const { decision, ruleId, reason } = developer.evaluate(
    request('execute_command', command, { policy_pack: 'cavra-developer' }),
  );
  return [decision, ruleId, reason];
}

describe('withoutHarmlessAssignments', () => {
  it.each([
    ['NODE_ENV=test npm test', ['NODE_ENV=test', 'npm', 'test'], 'npm test'],
    ['CI=1 FORCE_COLOR=0 pnpm test', ['CI=1', 'FORCE_COLOR=0', 'pnpm', 'test'], 'pnpm test'],
    ['TZ=Europe/Paris date', ['TZ=Europe/Paris', 'date'], 'date'],
    // Quoted or escaped: the text is not the word, so nothing is dropped.
    ['NODE_ENV="test" npm test', ['NODE_ENV=test', 'npm', 'test'], 'NODE_ENV="test" npm test'],
    ['NODE_ENV=te\\st npm test', ['NODE_ENV=test', 'npm', 'test'], 'NODE_ENV=te\\st npm test'],
    // One variable that is not on the table keeps them all.
    ['CI=1 FOO=1 npm test', ['CI=1', 'FOO=1', 'npm', 'test'], 'CI=1 FOO=1 npm test'],
    // A value that is a path, for a variable that names no file.
    ['LANG=/tmp/x date', ['LANG=/tmp/x', 'date'], 'LANG=/tmp/x date'],
    ['TZ=../x date', ['TZ=../x', 'date'], 'TZ=../x date'],
    // Lower case is another variable; an assignment alone runs nothing.
    ['node_env=test npm test', ['node_env=test', 'npm', 'test'], 'node_env=test npm test'],
    ['NODE_ENV=test', ['NODE_ENV=test'], 'NODE_ENV=test'],
    ['npm test', ['npm', 'test'], 'npm test'],
  ] as const)('%s reads as %s', (text, words, expected) => {
    expect(withoutHarmlessAssignments(text, words)).toBe(expected);
  });
});

describe('a harmless assignment before an allowed command, under the developer profile', () => {
  it.each([
    [
      'NODE_ENV=test npm test',
      'allow',
      'commands.allow',
      // The baseline's own `npm test`, which the profile extends.
      "command allowed by pattern 'npm test' (commands.allow[8])",
    ],
    [
      'CI=true FORCE_COLOR=0 npm test && npm run lint',
      'allow',
      'commands.allow',
      "command allowed by pattern 'npm test *' (commands.allow[94])",
    ],
    [
      'LANG=C.UTF-8 TZ=UTC git log -n 1',
      'allow',
      'commands.allow',
      "command allowed by pattern 'git log *' (commands.allow[15])",
    ],
    // Every other variable keeps asking; the variables that change what runs say so.
    [
      'FOO=1 npm test',
      'require_approval',
      'commands.default.require_approval',
      "command 'FOO=1 npm test' is not on the allow list",
    ],
    [
      'DEBUG=express:* npm test',
      'require_approval',
      'commands.default.require_approval',
      'variable, glob or brace expansion makes the command run with words the policy cannot see',
    ],
    [
      'NODE_ENV=test NODE_OPTIONS=--require=./pwn.js npm test',
      'require_approval',
      'commands.default.require_approval',
      "command 'NODE_ENV=test NODE_OPTIONS=--require=./pwn.js npm test' sets NODE_OPTIONS, which changes code every node process loads: no allow rule covers it",
    ],
    [
      'CI=1 npm_config_script_shell=./x.sh npm test',
      'require_approval',
      'commands.default.require_approval',
      "command 'CI=1 npm_config_script_shell=./x.sh npm test' sets npm_config_script_shell, which changes npm and pnpm settings, the shell that runs scripts included: no allow rule covers it",
    ],
    // The command after them is judged as before: blocked, gated or not allowed.
    [
      'CI=1 curl https://example.com',
      'block',
      'commands.block',
      "command 'CI=1 curl https://example.com' is blocked by pattern 'curl *' (commands.block[23])",
    ],
    [
      'NODE_ENV=test python3 -c "print(1)"',
      'require_approval',
      'commands.default.require_approval',
      "command 'NODE_ENV=test python3 -c \"print(1)\"' passes '-c', which feeds code to an interpreter, which the policy cannot read: it requires approval",
    ],
    [
      'NODE_ENV=test npm test -- --require ./pwn.js',
      'require_approval',
      'commands.default.require_approval',
      "command 'NODE_ENV=test npm test -- --require ./pwn.js' passes '--require', which changes what the runner runs: no allow rule covers it",
    ],
  ] as const)('%s -> %s', (command, decision, ruleId, reason) => {
    expect(decide(command)).toEqual([decision, ruleId, reason]);
  });
});

describe('a subshell that is the whole command, under the developer profile', () => {
  it.each([
    [
      '(cd packages/runtime && npm test)',
      'allow',
      'commands.allow',
      "command allowed by pattern 'cd *' (commands.allow[84])",
    ],
    [
      '( NODE_ENV=test npm test )',
      'allow',
      'commands.allow',
      "command allowed by pattern 'npm test' (commands.allow[8])",
    ],
    // Its parts are judged as ever, from the folder its cd leads to.
    [
      '(cd .. && rm -rf other-repo)',
      'require_approval',
      'commands.default.require_approval',
      "command 'rm -rf other-repo' deletes '../other-repo', a folder outside the working tree: no allow rule covers it",
    ],
    [
      '(cd .git/hooks && echo x > pre-commit)',
      'block',
      'filesystem.write.block',
      "command 'echo x' writes '.git/hooks/pre-commit', which is blocked for writing by pattern '**/.git/**' (filesystem.block_write[10])",
    ],
    [
      '(cd src && cat ../.env)',
      'block',
      'filesystem.read.block',
      "command 'cat ../.env' names '.env', which is blocked for reading by pattern '.env' (filesystem.block_read[0])",
    ],
    [
      '(cd packages/x; python3 -c 1)',
      'require_approval',
      'commands.default.require_approval',
      "command 'python3 -c 1' passes '-c', which feeds code to an interpreter, which the policy cannot read: it requires approval",
    ],
    [
      '(cd - && npm test)',
      'require_approval',
      'commands.default.require_approval',
      "command 'npm test' runs after a cd to a folder the policy cannot know, so the paths it names cannot be judged",
    ],
    // A cd that may leave the tree asks: the runner after it would run another folder's definitions.
    [
      '(cd ../other-repo && npm test)',
      'require_approval',
      'commands.default.require_approval',
      "command 'cd ../other-repo' changes to '../other-repo', a folder outside the working tree: the commands after it would act outside the tree",
    ],
    [
      'cd /tmp/x && make',
      'require_approval',
      'commands.default.require_approval',
      "command 'cd /tmp/x' changes to '/tmp/x', a rooted path, which may be outside the working tree: the commands after it would act outside the tree",
    ],
    [
      'cd ~',
      'require_approval',
      'commands.default.require_approval',
      "command 'cd ~' changes to '~', a home folder: the commands after it would act outside the tree",
    ],
    // Only one subshell that is the whole command: not two, nor one with a redirection or text after it.
    [
      '(cd packages/runtime && npm test) && (npm run lint)',
      'require_approval',
      'commands.default.require_approval',
      "command '(cd packages/runtime && npm test) && (npm run lint)' is not on the allow list",
    ],
    [
      '(npm test) > out.log',
      'require_approval',
      'commands.default.require_approval',
      "command '(npm test) > out.log' is not on the allow list",
    ],
    [
      '(cd x && npm test) # )',
      'require_approval',
      'commands.default.require_approval',
      "command '(cd x && npm test) # )' is not on the allow list",
    ],
  ] as const)('%s -> %s', (command, decision, ruleId, reason) => {
    expect(decide(command)).toEqual([decision, ruleId, reason]);
  });
});

describe('a runner with workspace package selectors, under the developer profile', () => {
  it.each([
    [
      'pnpm --filter @cavra/runtime run test',
      'allow',
      'commands.allow',
      "command allowed by pattern 'pnpm run *' (commands.allow[106])",
    ],
    [
      'pnpm -F web... build',
      'allow',
      'commands.allow',
      "command allowed by pattern 'pnpm build' (commands.allow[104])",
    ],
    [
      'npm --workspace=packages/app run build',
      'allow',
      'commands.allow',
      "command allowed by pattern 'npm run *' (commands.allow[95])",
    ],
    // pnpm runs a word that is neither its command nor a script as a program: read without the selector, it is
    // that program, on no allow list.
    [
      'pnpm --filter x python3 pwn.py',
      'require_approval',
      'commands.default.require_approval',
      "command 'pnpm --filter x python3 pwn.py' is not on the allow list",
    ],
    // A path or range, a quoted selector, pnpm's -w (--workspace-root, a flag): read as written.
    [
      'pnpm --filter=./../../evil run test',
      'require_approval',
      'commands.default.require_approval',
      "command 'pnpm --filter=./../../evil run test' is not on the allow list",
    ],
    [
      'pnpm --filter "x" run test',
      'require_approval',
      'commands.default.require_approval',
      'command \'pnpm --filter "x" run test\' is not on the allow list',
    ],
    [
      'pnpm -w run test',
      'require_approval',
      'commands.default.require_approval',
      "command 'pnpm -w run test' is not on the allow list",
    ],
    // What follows the selector is judged as ever.
    [
      'pnpm --filter x run test --reporter=./pwn.js',
      'require_approval',
      'commands.default.require_approval',
      "command 'pnpm --filter x run test --reporter=./pwn.js' passes '--reporter=./pwn.js', which changes what the runner runs: no allow rule covers it",
    ],
    [
      'pnpm --filter x --script-shell=./pwn.sh run test',
      'require_approval',
      'commands.default.require_approval',
      "command 'pnpm --filter x --script-shell=./pwn.sh run test' is not on the allow list",
    ],
  ] as const)('%s -> %s', (command, decision, ruleId, reason) => {
    expect(decide(command)).toEqual([decision, ruleId, reason]);
  });
});

describe('commands.allow_list_reading', () => {
  const pack = (extra: string) =>
    compilePolicyPack(
      parsePolicyPack(
        `metadata: {id: team, version: "1"}\ncommands:\n  allow: ["npm test", "pnpm run *"]\n${extra}`,
      ),
    );
  const decideWith = (compiled: CompiledPolicyPack, command: string) => {
    const { decision, ruleId, reason } = exactEngine([compiled]).evaluate(
      request('execute_command', command, { policy_pack: 'team' }),
    );
    return [decision, ruleId, reason];
  };

  it('reads as written by default, as upstream does, and as run when the pack says so', () => {
    expect(decideWith(pack(''), 'NODE_ENV=test npm test')).toEqual([
      'require_approval',
      'commands.default.require_approval',
      "command 'NODE_ENV=test npm test' is not on the allow list",
    ]);
    expect(decideWith(pack('  allow_list_reading: as_written\n'), '(cd app && pnpm run build)')[0]).toBe(
      'require_approval',
    );
    const asRun = pack('  allow_list_reading: as_run\n');
    expect(decideWith(asRun, 'NODE_ENV=test npm test')).toEqual([
      'allow',
      'commands.allow',
      "command allowed by pattern 'npm test' (commands.allow[0])",
    ]);
    expect(asRun.resolved.commands.allow_list_reading).toBe('as_run');
    // Only `as_run` is kept, so a pack that reads as written has the digest it had before the key.
    expect(pack('  allow_list_reading: as_written\n').digest).toBe(pack('').digest);
  });

  it('takes only its two values, and says which', () => {
    expect(() =>
      parsePolicyPack('metadata: {id: team, version: "1"}\ncommands: {allow_list_reading: loose}\n'),
    ).toThrow(
      'policy pack <inline>: invalid_pack: /commands/allow_list_reading (line 2, column 12): must be one of: as_written, as_run',
    );
  });

  it('is a loosening of a parent that reads as written: listed with extends, refused with inherits', async () => {
    const parents = new Map([['cavra-ai-agent-baseline', await loadBaselinePack()]]);
    const child = (form: string) =>
      parsePolicyPack(
        `metadata: {id: team, version: "1", ${form}: cavra-ai-agent-baseline}\ncommands: {allow_list_reading: as_run}\n`,
      );
    const extended = compilePolicyPack(child('extends'), { parents });
    expect(extended.resolved.metadata.loosens).toContain(
      "commands.allow_list_reading: 'as_run' is not how parent cavra-ai-agent-baseline reads its allow list",
    );
    expect(() => compilePolicyPack(child('inherits'), { parents })).toThrow(
      "/commands/allow_list_reading: 'as_run' allows commands parent cavra-ai-agent-baseline reads as written (a pack adds allows to its parent with metadata.extends, not inherits)",
    );
  });
});
