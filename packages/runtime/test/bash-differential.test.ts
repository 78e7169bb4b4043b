import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicyPack, loadBaselinePack, parseCommand, parsePolicyPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

// bash itself is the reference: every command the engine would allow is run by bash with no external command to
// be found (PATH names no folder), and bash's command_not_found_handle logs each external command it would have run.
// Every one of them must be a command the engine judged. Builtins run for real, so only allowed commands are run.
const BASH = '/bin/bash';
const sandbox = mkdtempSync(join(tmpdir(), 'cavra-bash-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
const LOG = join(sandbox, 'ran.log');
// One write per command: the commands of a pipeline run at once, and two writes each could interleave.
const PRELUDE = `command_not_found_handle() { local line; printf -v line '%s\\037' "$@"; printf '%s\\n' "$line" >> '${LOG}'; return 0; }\n`;

/** The external commands bash runs for a command line, each as its words joined by spaces. */
function bashRuns(command: string): string[] {
  rmSync(LOG, { force: true });
  spawnSync(BASH, ['-c', PRELUDE + command], {
    cwd: sandbox,
    env: { PATH: '/nonexistent', HOME: sandbox },
    timeout: 5_000,
    stdio: 'ignore',
  });
  if (!existsSync(LOG)) return [];
  return (
    readFileSync(LOG, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) =>
        line
          .split('\u001f')
          // Every word is followed by the separator, so the last piece is empty.
          .slice(0, -1)
          .join(' '),
      )
      // Tilde expansion is left to the path rules, which read `~/x` as a home-rooted path.
      .map((line) => line.replaceAll(sandbox, '~'))
  );
}

const corpus = (name: string) =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));
// Spellings where a shell grammar and bash could part ways: comments, heredocs, continuations, globs, braces.
const PROBES = [
  'git log x#; sudo reboot',
  'git status;#x\nsudo reboot',
  'ls \\\n; sudo reboot',
  'x <<EOF\nEOF\nsudo reboot',
  'x <<-EOF\n\tEOF\nsudo reboot',
  'git log \'a\'"b"c',
  'echo a{b a}b \\{a,b\\}',
  'ls a=b; a=b x',
  'echo !x ! x',
];

describe.skipIf(!existsSync(BASH))('commands as bash runs them', () => {
  it('runs no external command the engine did not judge, for every corpus command the engine allows', async () => {
    const baseline = await loadBaselinePack();
    const allow = [...corpus('developer-allow.json'), 'x *', 'a=b x'];
    const document = {
      ...baseline.resolved,
      metadata: { id: 'developer', version: '1' },
      commands: { ...baseline.resolved.commands, allow },
    };
    const engine = exactEngine([
      compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' })),
    ]);
    const commands: string[] = [
      ...corpus('evasion.json').flatMap((entry: { steps: [string, string][] }) =>
        entry.steps.filter(([actionType]) => actionType === 'execute_command').map(([, target]) => target),
      ),
      ...corpus('benign.json').map((entry: { command: string }) => entry.command),
      ...PROBES,
    ];
    const allowed = commands.filter(
      (command) =>
        engine.evaluate(request('execute_command', command, { policy_pack: 'developer' })).decision ===
        'allow',
    );
    const unjudged = allowed.flatMap((command) => {
      // bash passes leading assignments as environment, not as words.
      const judged = new Set(
        parseCommand(command).commands.map((simple) =>
          simple.words.join(' ').replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S* )+/, ''),
        ),
      );
      return bashRuns(command)
        .filter((ran) => !judged.has(ran))
        .map((ran) => `${command} -> ${ran}`);
    });
    expect(allowed.length).toBeGreaterThan(150);
    expect(unjudged).toEqual([]);
  });
});
