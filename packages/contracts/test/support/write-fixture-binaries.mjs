// Writes NAME.pb.hex next to every fixture NAME.json, from the built package. Only for deliberate contract changes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EvaluateRequestCodec } from '../../dist/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
for (const file of readdirSync(fixtures).filter((name) => name.endsWith('.json'))) {
  const json = JSON.parse(readFileSync(join(fixtures, file), 'utf8'));
  const hex = Buffer.from(EvaluateRequestCodec.encode(json, { strict: true })).toString('hex');
  writeFileSync(join(fixtures, file.replace(/\.json$/, '.pb.hex')), `${hex}\n`);
  console.log(`wrote ${file.replace(/\.json$/, '.pb.hex')}`);
}
