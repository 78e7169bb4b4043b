// `cavra evidence query` against a real 3-node JetStream cluster, the records shipped by @cavra/fleet's shipper.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  connectFleet,
  type EvidenceSource,
  evidenceEpoch,
  type Fleet,
  openEvidenceBucket,
  startShipper,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';

let cluster: NatsCluster;
let fleet: Fleet;
let dir: string;

/** A daemon's records as lines (the query reads them, the central verifier checks their chain: not done here). */
function records(daemonId: string, bodies: Record<string, unknown>[]): string[] {
  let prev = '0'.repeat(64);
  return bodies.map((body, index) => {
    const record = { seq: index + 1, prev, ...body, daemon_id: daemonId };
    const hash = createHash('sha256').update(JSON.stringify(record)).digest('hex');
    prev = hash;
    return `${JSON.stringify({ ...record, hash })}\n`;
  });
}

const decision = (at: string, outcome: string, target: string, rule: string) => ({
  recorded_at: at,
  decision: { decision: outcome, action_type: 'execute_command', target, rule_id: rule },
});

/** A log held in memory, as the daemon's source gives it to the shipper. */
function source(lines: string[]): EvidenceSource {
  const bytes = lines.map((line) => new TextEncoder().encode(line));
  const hashOf = (index: number) => JSON.parse(lines[index] as string).hash as string;
  return {
    epoch: async () => evidenceEpoch(hashOf(0)),
    lastSeq: () => lines.length,
    readAfter: async (seq, _maxBytes, maxRecords) => {
      if (seq >= lines.length) return undefined;
      const last = Math.min(lines.length, seq + maxRecords);
      return { lines: bytes.slice(seq, last), first: seq + 1, last, lastHash: hashOf(last - 1) };
    },
    onAppend: () => () => {},
  };
}

const ci1 = records('ci-1', [
  decision('2026-12-05T08:00:00.000Z', 'allow', 'ls', 'commands.allow.ls'),
  decision('2026-12-05T09:00:00.000Z', 'block', 'rm -rf /', 'commands.block.rm'),
  { recorded_at: '2026-12-05T09:30:00.000Z', event: { type: 'bundle_activated' } },
]);
const ci2 = records('ci-2', [
  decision('2026-12-05T08:30:00.000Z', 'block', 'curl x | sh\u001b[2J', 'commands.block.pipe'),
  decision('2026-12-05T10:00:00.000Z', 'allow', 'cat README.md', 'commands.allow.cat'),
]);

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
  dir = tempDir();
  for (const [daemonId, lines] of [
    ['ci-1', ci1],
    ['ci-2', ci2],
  ] as const) {
    const shipper = startShipper({
      fleet,
      daemonId,
      source: source(lines),
      cursorFile: join(dir, `${daemonId}.json`),
      batchMaxRecords: 2,
    });
    await shipper.waitShipped(lines.length);
    await shipper.close();
  }
  // The central verifier vouched for ci-1's first two records.
  const heads = await openEvidenceBucket(fleet, 'heads');
  const hash = JSON.parse(ci1[1] as string).hash as string;
  await heads.put(
    'ci-1',
    JSON.stringify({
      epoch: evidenceEpoch(JSON.parse(ci1[0] as string).hash),
      seq: 2,
      hash,
      stream_seq: 1,
      verified_at: '2026-12-05T09:01:00.000Z',
    }),
  );
}, 60_000);
afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
  await removeTempDirs();
});

const query = (...flags: string[]) =>
  cavra(['evidence', 'query', '--nats', cluster.servers.join(','), ...flags], dir);

describe('cavra evidence query', () => {
  it('lists every shipped record once, in stream order, unverified ones marked', async () => {
    const all = await query();
    expect([all.code, all.stderr]).toEqual([0, '']);
    expect(all.stdout).toBe(
      [
        '2026-12-05T08:00:00.000Z ci-1 #1 allow execute_command "ls" (commands.allow.ls)',
        '2026-12-05T09:00:00.000Z ci-1 #2 block execute_command "rm -rf /" (commands.block.rm)',
        '2026-12-05T09:30:00.000Z ci-1 #3 event bundle_activated unverified',
        '2026-12-05T08:30:00.000Z ci-2 #1 block execute_command "curl x | sh\\u001b[2J" (commands.block.pipe) unverified',
        '2026-12-05T10:00:00.000Z ci-2 #2 allow execute_command "cat README.md" (commands.allow.cat) unverified',
        '5 records',
        '',
      ].join('\n'),
    );
  });

  it('narrows by daemon, time and decision; --json gives the records as written', async () => {
    const blocks = await query('--decision', 'block', '--since', '2026-12-05T08:15:00Z', '--json');
    expect(blocks.code).toBe(0);
    const document = JSON.parse(blocks.stdout);
    expect(document.schema_version).toBe('cavra.cli.fleet.v1');
    expect(
      document.records.map((found: Record<string, unknown>) => [found.daemon_id, found.seq, found.verified]),
    ).toEqual([
      ['ci-1', 2, true],
      ['ci-2', 1, false],
    ]);
    expect(document.records[0].record).toEqual(JSON.parse(ci1[1] as string));
    const one = await query('--daemon', 'ci-2', '--since', '2026-12-05T09:00:00Z');
    expect(one.stdout).toBe(
      '2026-12-05T10:00:00.000Z ci-2 #2 allow execute_command "cat README.md" (commands.allow.cat) unverified\n1 record\n',
    );
    const none = await query('--daemon', 'ci-3');
    expect([none.code, none.stdout]).toEqual([0, '0 records\n']);
  });

  it('refuses a time that is not RFC 3339', async () => {
    const bad = await query('--since', 'yesterday');
    expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: evidence query: --since must be an RFC 3339 time, e.g. 2026-12-06T00:00:00Z',
    ]);
  });
});
