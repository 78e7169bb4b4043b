import type { ChannelTrust, PublishedBundle, ResignedChannel, RotatedChannelKeys } from '@cavra/fleet';

/** `cavra bundle init`'s report. */
export function bundleInitText(trust: ChannelTrust): string {
  const keys = Object.entries(trust.keyIds).map(([role, id]) => `  ${role.padEnd(9)} ${id}`);
  return `channel ${trust.channel}: keys and root written
root (give it to each daemon as fleet.trust_root): ${trust.rootFile}
key ids:
${keys.join('\n')}
keep the folder private; the root key signs only key rotations: move root.key.pem offline
`;
}

export function bundleInitJson(trust: ChannelTrust): unknown {
  return {
    schema_version: 'cavra.cli.bundle_init.v1',
    channel: trust.channel,
    root_file: trust.rootFile,
    key_ids: trust.keyIds,
  };
}

/** `cavra bundle push`'s report. */
export function bundlePushText(bundle: PublishedBundle): string {
  return `published channel ${bundle.channel} revision ${bundle.revision} (${bundle.target}, sha256 ${bundle.digest})
packs: ${bundle.packs.join(', ')}
timestamp expires ${bundle.expires}: push again (or re-sign) before then, or daemons report stale
`;
}

export function bundlePushJson(bundle: PublishedBundle): unknown {
  return {
    schema_version: 'cavra.cli.bundle_push.v1',
    channel: bundle.channel,
    revision: bundle.revision,
    target: bundle.target,
    digest: bundle.digest,
    packs: bundle.packs,
    expires: bundle.expires,
    key_ids: bundle.keyIds,
  };
}

/** `cavra bundle resign`'s report. */
export function bundleResignText(channel: string, resigned: ResignedChannel): string {
  return `re-signed channel ${channel} revision ${resigned.revision}: timestamp expires ${resigned.expires}\n`;
}

export function bundleResignJson(channel: string, resigned: ResignedChannel): unknown {
  return {
    schema_version: 'cavra.cli.bundle_resign.v1',
    channel,
    revision: resigned.revision,
    expires: resigned.expires,
  };
}

/** `cavra bundle rotate`'s report. */
export function bundleRotateText(channel: string, rotated: RotatedChannelKeys): string {
  const keys = Object.entries(rotated.keyIds).map(([role, id]) => `  ${role.padEnd(9)} ${id}`);
  return `channel ${channel}: root version ${rotated.rootVersion} published
key ids:
${keys.join('\n')}
the replaced key files are kept as <role>.key.pem.v${rotated.rootVersion - 1}: delete them once every daemon reports root ${rotated.rootVersion}
`;
}

export function bundleRotateJson(channel: string, rotated: RotatedChannelKeys): unknown {
  return {
    schema_version: 'cavra.cli.bundle_rotate.v1',
    channel,
    root_version: rotated.rootVersion,
    key_ids: rotated.keyIds,
  };
}
