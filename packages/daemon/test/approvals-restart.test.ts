import { statSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApproverKey, signReview } from '@cavra/approvals';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyEvidenceLog } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { type Frame, RawClient, REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const ASKED = { ...REQUEST, action_type: 'format_disk', target: '/dev/sdb', requested_operation: 'format' };

async function setUp() {
  const dir = tempDir();
  const alice = await generateApproverKey();
  await writeFile(join(dir, 'alice.pub.pem'), alice.publicKeyPem);
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    configFile,
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      'approvals:',
      '  self_approval_at_keyboard: false',
      '  groups:',
      '    Repository Owners:',
      '      approvers: [{ id: alice@example.com, public_key: alice.pub.pem }]',
      '',
    ].join('\n'),
  );
  return { dir, alice, configFile, socket: join(dir, 'run/d.sock') };
}

let frames = 0;
async function call(socket: string, frame: Record<string, unknown>): Promise<Frame | undefined> {
  const client = await RawClient.connect(socket);
  try {
    client.send({ v: 1, id: `f${++frames}`, ...frame });
    return await client.next();
  } finally {
    client.socket.destroy();
  }
}

describe('the local approval store across restarts (real daemon processes, killed)', () => {
  it('keeps every request, review, outcome and consumed once grant after kill -9', async () => {
    const { dir, alice, configFile, socket } = await setUp();
    let daemon = await DaemonProcess.start(configFile, socket);
    const first = (await call(socket, { type: 'evaluate', request: ASKED }))?.decision;
    expect(first?.rule_id).toBe('approval.pending');
    const id = first?.decision_id as string;
    const second = (await call(socket, { type: 'evaluate', request: { ...ASKED, target: '/dev/sdc' } }))
      ?.decision;
    const jws = await signReview(
      { request_id: id, verdict: 'approve', reviewer: 'alice@example.com', scope: 'once' },
      alice.privateKeyPem,
    );
    const approved = (await call(socket, { type: 'approval_review', review: jws }))?.approval;
    expect(approved?.outcome.status).toBe('approved');
    expect((statSync(join(dir, 'evidence.jsonl.approvals')).mode & 0o777).toString(8)).toBe('600');

    await daemon.stop('SIGKILL');
    daemon = await DaemonProcess.start(configFile, socket);
    expect((await call(socket, { type: 'approval_show', request_id: id }))?.approval).toEqual(approved);
    const pending = (await call(socket, { type: 'approval_list', status: 'pending' }))?.approvals;
    expect(pending.map((state: Frame) => state.request.request_id)).toEqual([second?.decision_id]);
    // The replayed review is still known after the restart.
    expect((await call(socket, { type: 'approval_review', review: jws }))?.error.reason).toBe(
      'replayed_review',
    );
    const granted = (await call(socket, { type: 'evaluate', request: ASKED }))?.decision;
    expect([granted?.decision, granted?.rule_id]).toEqual(['allow', 'approval.granted']);
    const consumed = (await call(socket, { type: 'approval_show', request_id: id }))?.approval;
    expect(consumed.outcome.grant.consumed_by).toBe(granted?.decision_id);

    await daemon.stop('SIGKILL');
    daemon = await DaemonProcess.start(configFile, socket);
    expect((await call(socket, { type: 'approval_show', request_id: id }))?.approval).toEqual(consumed);
    // The once grant was used before the kill: the retry is a new request, not a second allow.
    expect((await call(socket, { type: 'evaluate', request: ASKED }))?.decision.rule_id).toBe(
      'approval.pending',
    );
    await daemon.stop('SIGTERM');
    const verified = await verifyEvidenceLog(join(dir, 'evidence.jsonl'));
    expect([verified.ok, verified.problems]).toEqual([true, []]);
    expect(await cli(['evidence', 'verify', join(dir, 'evidence.jsonl')])).toMatchObject({
      code: 0,
      stdout: `${join(dir, 'evidence.jsonl')}: ${verified.records} records, chain intact, unsigned\nlast hash ${verified.lastHash}\n`,
    });
  });

  it('refuses to start on an approval store that is a symbolic link', async () => {
    const { dir, configFile, socket } = await setUp();
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'evidence.jsonl.approvals'));
    const daemon = await DaemonProcess.start(configFile);
    expect(await daemon.exited).toBe(1);
    expect(daemon.stderr).toContain(
      `approval store ${join(dir, 'evidence.jsonl.approvals')} is a symbolic link; refusing to follow it`,
    );
    expect(await call(socket, { type: 'health' }).catch((error) => error.code)).toBe('ENOENT');
  });
});
