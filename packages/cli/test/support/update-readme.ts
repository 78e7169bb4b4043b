// Rewrites the outputs shown in the README's console blocks with what the built bin prints now (outputs with `…`
// are kept), like a snapshot update: after a deliberate change of wording or rule ids, run
// `npx tsx test/support/update-readme.ts` in packages/cli (after building) and review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, removeTempDirs, shell, tempDir } from './cavra.js';
import { consoleSteps, README, readmeBlocks } from './readme.js';

const dir = tempDir();
const bin = binDir();
let text = readFileSync(README, 'utf8');
for (const block of readmeBlocks()) {
  const file = /^yaml file=(\S+)$/.exec(block.info)?.[1];
  if (file) writeFileSync(join(dir, file), block.text);
  if (block.info !== 'console') continue;
  let fresh = '';
  for (const { command, output } of consoleSteps(block)) {
    const actual = shell(command, dir, bin);
    fresh += `$ ${command}\n${output.includes('…') ? output : actual}`;
  }
  text = text.replace(block.text, fresh);
}
writeFileSync(README, text);
await removeTempDirs();
