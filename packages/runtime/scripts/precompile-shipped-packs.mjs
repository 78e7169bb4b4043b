// After the build: each shipped pack without parents in the compiled JSON form beside the code
// (dist/shipped-packs/<id>.json), with the SHA-256 of the YAML it was compiled from, so that loading it skips parsing
// its YAML (src/precompiled-shipped-pack.ts, which passes over a file that does not match the YAML).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_POLICY_DIR, loadPolicyPack, SHIPPED_PACK_IDS } from '../dist/index.js';
import { PRECOMPILED_DIR, precompiledPackJson } from '../dist/precompiled-shipped-pack.js';

mkdirSync(PRECOMPILED_DIR, { recursive: true });
for (const id of SHIPPED_PACK_IDS) {
  const yamlBytes = readFileSync(join(BUILTIN_POLICY_DIR, `${id}.yaml`));
  const pack = await loadPolicyPack(id, { awaitShellParser: false });
  if (pack.resolved.metadata.inherits.length > 0) continue;
  writeFileSync(join(PRECOMPILED_DIR, `${id}.json`), precompiledPackJson(pack, yamlBytes));
}
