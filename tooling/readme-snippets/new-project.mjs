// A README's `sh` block marked `<!-- snippet: run in a new project -->`, run as a newcomer runs it: in a new git
// project on a feature branch, with the packages its `npm install` lines name laid out in node_modules as npm lays
// them out (node_modules/@cavra/<name> and a node_modules/.bin link per bin, linked to the workspace's built
// packages), then the block's other lines run with bash in the project. Given a registry's .npmrc line (the release
// dry run), the whole block runs verbatim instead, its `npm install` lines installing from that registry. What the block sets up is then driven as Claude Code drives it: the SessionStart and
// PreToolUse commands of the project's .claude/settings.json run with `sh -c` and CLAUDE_PROJECT_DIR set, with a few
// tool calls whose answers are asserted. The daemon the block (or the SessionStart hook) started is stopped at the
// end, whatever happened.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** An `npm install` line of a block: the packages it names (the caller checks they are publishable). */
export const NPM_INSTALL = /^npm install (?:--save-dev |--global |-D |-g )?((?:@cavra\/[a-z-]+ ?)+)$/;

/** The marker, on the line before a block's fence. */
export const NEW_PROJECT_MARKER = '<!-- snippet: run in a new project -->';

/** The code of each `sh` block of a README's text marked to run in a new project. */
export function newProjectBlocks(text) {
  const blocks = [];
  for (const match of text.matchAll(/^<!-- snippet: run in a new project -->\n```sh\n([\s\S]*?)^```$/gm)) {
    blocks.push({ line: text.slice(0, match.index).split('\n').length + 1, code: match[1] });
  }
  return blocks;
}

/**
 * The tool calls driven through the project's PreToolUse hook, and the answer each must get: the hook's exit code,
 * and Claude Code's permission decision with the rule that decided (`no opinion`: the hook printed nothing).
 */
const CALLS = [
  {
    tool_name: 'Read',
    tool_input: { file_path: 'src/index.ts' },
    answer: [0, 'allow (filesystem.read.allow)'],
  },
  { tool_name: 'Read', tool_input: { file_path: '.env' }, answer: [0, 'deny (filesystem.read.block)'] },
  {
    tool_name: 'Bash',
    tool_input: { command: 'npm test', description: 'Run the tests' },
    answer: [0, 'allow (commands.allow)'],
  },
  {
    tool_name: 'AskUserQuestion',
    tool_input: { questions: [{ question: 'Which name?', header: 'Name', options: [], multiSelect: false }] },
    answer: [0, 'no opinion'],
  },
];

/** Runs `file` with `args` in `cwd`; resolves with the exit code and output (a failed command does not reject). */
function run(file, args, { cwd, env, input }) {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    // A command that exits without reading its input (git, a hook that failed early) closes the pipe: its exit
    // code and output tell what happened, not the write.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** The workspace's publishable packages by name: their folders. */
function workspacePackages(root) {
  const folders = new Map();
  for (const name of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', name, 'package.json');
    if (existsSync(file))
      folders.set(JSON.parse(readFileSync(file, 'utf8')).name, join(root, 'packages', name));
  }
  return folders;
}

/** A git project with a source file and a test script, on branch feature/readme after a first commit on main. */
async function newProject() {
  const project = await mkdtemp(join(tmpdir(), 'cavra-readme-project-'));
  await mkdir(join(project, 'src'));
  await writeFile(
    join(project, 'package.json'),
    '{ "name": "app", "version": "1.0.0", "private": true, "scripts": { "test": "node --test" } }\n',
  );
  await writeFile(join(project, 'src', 'index.ts'), 'export const answer = 42;\n');
  const git = (...args) =>
    run('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', ...args], { cwd: project });
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '.'],
    ['commit', '-q', '-m', 'initial'],
  ]) {
    const result = await git(...args);
    assert.equal(result.code, 0, `git ${args.join(' ')}: ${result.stderr}`);
  }
  assert.equal((await git('switch', '-q', '-c', 'feature/readme')).code, 0);
  return project;
}

/** node_modules/@cavra/<name> and node_modules/.bin/<bin> for each package, linked as npm links them. */
async function linkPackages(project, names, folders) {
  for (const name of names) {
    const folder = folders.get(name);
    assert.ok(folder, `${name} is not a workspace package`);
    const installed = join(project, 'node_modules', name);
    await mkdir(dirname(installed), { recursive: true });
    await symlink(folder, installed);
    const { bin = {} } = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
    await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
    for (const [command, target] of Object.entries(bin)) {
      const link = join(project, 'node_modules', '.bin', command);
      await symlink(relative(dirname(link), join(installed, target)), link);
    }
  }
}

/** The decision a hook run gave: `<decision> (<rule>)`, or `no opinion` when it printed nothing. */
function answerOf({ code, stdout }) {
  if (stdout.trim() === '') return [code, 'no opinion'];
  const { permissionDecision, permissionDecisionReason } = JSON.parse(stdout).hookSpecificOutput;
  const rule = /^CAVRA \S+ \(([^)]+)\)/.exec(permissionDecisionReason)?.[1];
  return [code, `${permissionDecision} (${rule})`];
}

/**
 * Runs the block in a new project and drives the hooks it set up. `where` names the block in failures; `root` is
 * the workspace; `npmrc` (a registry's .npmrc text) runs the install lines too, against that registry. Resolves
 * with what it checked, for the caller's log.
 */
export async function runInNewProject(code, { where, root, npmrc }) {
  const lines = code.split('\n').filter((line) => line.trim() !== '');
  const installs = lines.map((line) =>
    npmrc === undefined ? NPM_INSTALL.exec(line.replace(/\s+#.*$/, '').trim()) : null,
  );
  const names = installs.flatMap((install) => (install ? install[1].trim().split(' ') : []));
  const script = lines.filter((_, index) => !installs[index]).join('\n');
  const project = await newProject();
  if (npmrc !== undefined) await writeFile(join(project, '.npmrc'), npmrc);
  // The block runs as the reader's shell would, without CAVRA variables of the environment running the test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CAVRA_')));
  const daemonConfig = join(project, '.cavra', 'cavra-daemon.yaml');
  let failed = true;
  try {
    await linkPackages(project, names, workspacePackages(root));
    const block = await run('bash', ['-e', '-c', script], { cwd: project, env });
    assert.equal(block.code, 0, `${where}: the block failed:\n${block.stdout}${block.stderr}`);
    const settings = JSON.parse(await readFile(join(project, '.claude', 'settings.json'), 'utf8'));
    const hook = (event) => settings.hooks[event][0].hooks[0].command;
    const claudeEnv = { ...env, CLAUDE_PROJECT_DIR: project };
    // Claude Code runs SessionStart first: with the daemon the block started, it leaves it running.
    const start = await run('sh', ['-c', hook('SessionStart')], { cwd: project, env: claudeEnv });
    assert.equal(start.code, 0, `${where}: the SessionStart hook failed: ${start.stderr}`);
    const answers = [];
    for (const [index, { tool_name, tool_input }] of CALLS.entries()) {
      const input = Object.fromEntries(
        Object.entries(tool_input).map(([key, value]) => [
          key,
          key === 'file_path' ? join(project, value) : value,
        ]),
      );
      const payload = JSON.stringify({
        session_id: 'readme',
        transcript_path: join(project, 'transcript.jsonl'),
        cwd: project,
        permission_mode: 'default',
        hook_event_name: 'PreToolUse',
        tool_name,
        tool_input: input,
        tool_use_id: `toolu_${index}`,
      });
      const result = await run('sh', ['-c', hook('PreToolUse')], {
        cwd: project,
        env: claudeEnv,
        input: payload,
      });
      answers.push([`${tool_name} ${JSON.stringify(tool_input)}`, ...answerOf(result), result.stderr.trim()]);
    }
    assert.deepEqual(
      answers.map(([call, exit, answer]) => [call, exit, answer]),
      CALLS.map(({ tool_name, tool_input, answer }) => [
        `${tool_name} ${JSON.stringify(tool_input)}`,
        ...answer,
      ]),
      `${where}: the hook's answers (stderr: ${answers.map((each) => each[3]).join(' | ')})`,
    );
    failed = false;
    return answers.map(([call, , answer]) => `${call}: ${answer}`);
  } finally {
    const stop = existsSync(daemonConfig)
      ? await run(join(project, 'node_modules', '.bin', 'cavra-daemon'), ['stop', '--config', daemonConfig], {
          cwd: project,
          env,
        })
      : { code: 0, stderr: '' };
    await rm(project, { recursive: true, force: true });
    // A daemon left running is a failure of its own, unless the block already failed.
    if (!failed) assert.equal(stop.code, 0, `${where}: cavra-daemon stop failed: ${stop.stderr}`);
  }
}
