#!/usr/bin/env node
// Breaking-change check of the wire contract against the last release, with `buf breaking` (rules: WIRE_JSON, since
// the contract travels as protobuf binary and as JSON with the proto's field names).
// The last release's proto is the committed copy in tooling/proto-baseline/ (there is no release tag yet; a copy
// also works in a shallow clone). `pnpm version-packages` refreshes it when a version is cut (`--rebase`).
// A breaking change passes only when a pending changeset bumps @cavra/contracts by `minor` or `major` and says
// "Breaking:" (packages are 0.x: a breaking change is a minor bump); it is listed either way.
//   node tooling/proto-breaking.mjs           check
//   node tooling/proto-breaking.mjs --rebase  make the current proto the baseline (at release)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const current = join(root, 'proto');
const baseline = join(root, 'tooling/proto-baseline');
const PROTO = 'cavra/enforcement/v1/enforcement.proto';
const BUF = join(root, 'node_modules/.bin/buf');

if (process.argv.includes('--rebase')) {
  cpSync(join(current, PROTO), join(baseline, PROTO));
  console.log(`tooling/proto-baseline/${PROTO} is now the proto of this release`);
  process.exit(0);
}

const result = spawnSync(BUF, ['breaking', current, '--against', baseline], { cwd: root, encoding: 'utf8' });
if (result.status === 0) {
  console.log('proto: no breaking change against the last release (tooling/proto-baseline)');
  process.exit(0);
}
if (result.status !== 100) {
  console.error(
    `buf breaking failed (exit ${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`,
  );
  process.exit(1);
}

/** Pending changesets that announce a breaking change of @cavra/contracts. */
function breakingChangesets() {
  const folder = join(root, '.changeset');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .filter((file) => {
      const [, front = '', body = ''] =
        /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(readFileSync(join(folder, file), 'utf8')) ?? [];
      // The front matter is one `"<package>": <bump>` line per package.
      return (
        /^\s*["']?@cavra\/contracts["']?\s*:\s*["']?(minor|major)["']?\s*$/m.test(front) &&
        body.includes('Breaking:')
      );
    });
}

const changes = `${result.stdout}${result.stderr}`.trim();
const accepted = breakingChangesets();
if (accepted.length > 0) {
  console.log(
    `proto: breaking changes against the last release, announced by .changeset/${accepted.join(', .changeset/')}:\n${changes}`,
  );
  process.exit(0);
}
console.error(
  `proto: breaking changes against the last release (tooling/proto-baseline):\n${changes}\n` +
    'Keep the wire compatible (new fields get new numbers; never rename, renumber or retype one), or, if the break is ' +
    'meant, add a changeset bumping @cavra/contracts by minor whose text says "Breaking:".',
);
process.exit(1);
