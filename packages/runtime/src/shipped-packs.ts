import { fileURLToPath } from 'node:url';

/** Id of the default pack shipped in this package's `policies/` folder. */
export const BASELINE_PACK_ID = 'cavra-ai-agent-baseline';

/** Id of the shipped developer profile: the baseline plus everyday repository work allowed unasked. */
export const DEVELOPER_PACK_ID = 'cavra-developer';

/** The ids of the packs shipped in `policies/` (each as `<id>.yaml`). */
export const SHIPPED_PACK_IDS: readonly string[] = [BASELINE_PACK_ID, DEVELOPER_PACK_ID];

/** The folder of packs shipped with the package (resolves from `src/` and `dist/` alike). */
export const BUILTIN_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

/** Whether a pack reference names a shipped pack (loadPolicyPack loads it) rather than a file. */
export function isShippedPackId(reference: string): boolean {
  return SHIPPED_PACK_IDS.includes(reference);
}
