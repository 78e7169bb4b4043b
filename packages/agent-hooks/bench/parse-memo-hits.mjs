// How often the daemon's memos keyed by exact command text find a command seen before, on a realistic session and on
// the benign corpus: the memo of shell parses (@cavra/runtime's parseCommand) and the memo of the engine's readings of
// commands (command-reading.ts). A bench that repeats its eight request shapes hits on every command; these say what
// real work gets.
//   - the recorded Claude Code session (test/session), driven through the real hook and an in-process daemon, under
//     each profile, with a fresh memo per profile;
//   - the runtime's benign corpus (everyday commands, each once), decided by the engine under both shipped profiles.
// Parses: lookups of text with shell syntax (plain words never reach the parser nor its memo); one decision may look
// up several texts (inner scripts, a subshell's body, a backslash read as a path separator). Readings: one lookup per
// execute_command decided (plain words too).
//   node bench/parse-memo-hits.mjs      (build first: npx turbo run build --filter=@cavra/agent-hooks...)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { toRuntimeRequest } from '@cavra/contracts';
import { createEngine, loadBaselinePack, loadDeveloperPack } from '@cavra/runtime';
import { driveSession, PROFILES } from '../test/session/drive-session.mjs';

// The runtime's build internals: the memo the engine uses, replaced by one whose counts start at zero.
const runtimeDist = dirname(createRequire(import.meta.url).resolve('@cavra/runtime'));
const { replaceParseMemo } = await import(join(runtimeDist, 'shell-parser.js'));
const { PARSE_MEMO_SIZE, ParseMemo } = await import(join(runtimeDist, 'parse-memo.js'));
const { createReadingMemo, replaceReadingMemo } = await import(join(runtimeDist, 'command-reading.js'));

/** Fresh memos of both kinds in the engine, their counts from zero. */
function freshMemos() {
  const parses = new ParseMemo(PARSE_MEMO_SIZE);
  const readings = createReadingMemo();
  replaceParseMemo(parses);
  replaceReadingMemo(readings);
  return () => `parses ${rate(parses.stats())}; readings ${rate(readings.stats())}`;
}

function rate({ hits, misses }) {
  const lookups = hits + misses;
  return `${hits} hits of ${lookups} lookups (${lookups === 0 ? 'n/a' : `${((hits / lookups) * 100).toFixed(1)} %`})`;
}

for (const profile of PROFILES) {
  const rates = freshMemos();
  const { calls } = await driveSession(profile);
  const bash = calls.filter((call) => call.tool === 'Bash').length;
  console.log(`session, ${profile}: ${calls.length} calls, ${bash} Bash: ${rates()}`);
}

const benign = JSON.parse(
  readFileSync(new URL('../../runtime/test/corpora/benign.json', import.meta.url), 'utf8'),
).map((entry) => entry.command);
for (const [pack, load] of [
  ['cavra-ai-agent-baseline', loadBaselinePack],
  ['cavra-developer', loadDeveloperPack],
]) {
  const rates = freshMemos();
  const engine = createEngine({ packs: [await load()] });
  for (const command of benign) {
    engine.evaluate(
      toRuntimeRequest({
        session_id: 's',
        agent_id: 'a',
        actor: 'dev@example.com',
        action_type: 'execute_command',
        target: command,
        requested_operation: command,
        policy_pack: pack,
      }),
    );
  }
  console.log(`benign corpus, ${pack}: ${benign.length} commands: ${rates()}`);
}
