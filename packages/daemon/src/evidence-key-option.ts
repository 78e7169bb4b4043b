/** The evidence signing key given on a command line (`evidence_signing`'s secret): its secret and expected id. */
export interface EvidenceKeyOption {
  readonly secret: Uint8Array;
  readonly keyId?: string;
}

/** The key of a key file or variable (as the daemon reads its evidence_signing secret), or undefined without one. */
export async function loadEvidenceKey(
  keyFile: string | undefined,
  keyEnv: string | undefined,
  keyId: string | undefined,
): Promise<EvidenceKeyOption | undefined> {
  if (keyFile === undefined && keyEnv === undefined) return undefined;
  const { loadKeyring } = await import('@cavra/auth');
  const id = keyId ?? 'evidence';
  const keyring = await loadKeyring([
    { keyId: id, ...(keyFile !== undefined ? { secretFile: keyFile } : { secretEnv: keyEnv as string }) },
  ]);
  return { secret: (keyring.get(id) as { secret: Uint8Array }).secret, ...(keyId ? { keyId } : {}) };
}
