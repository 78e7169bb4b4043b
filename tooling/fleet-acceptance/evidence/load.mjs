// The decisions of the evidence acceptance run: each daemon asked at a steady rate by its own client, as an agent
// would, through kills and outages. An answered decision is one the daemon vouches it recorded: the run checks later
// that every answered decision id is in that daemon's local log, and that the log reached the stream.
import { createClient } from '@cavra/daemon-client';
import { sleep } from '../wait.mjs';

/**
 * Starts asking each of `daemons` `rate` decisions per second (paced: a slow answer is caught up, an outage
 * of the daemon is not). Errors (a killed daemon, a full spool refusing) are counted and retried after 100 ms. `stop()` resolves
 * with per-daemon figures once every loop ended.
 */
export function startLoad(daemons, rate) {
  let running = true;
  const loops = daemons.map(async (daemon) => {
    const figures = { daemon, answered: new Set(), latencies: [], errors: 0, lastError: undefined };
    const interval = 1000 / rate;
    let due = performance.now();
    let client;
    for (let i = 0; running; i++) {
      // Behind by more than a second (the daemon was down): start the pace again rather than burst.
      due = Math.max(due + interval, performance.now() - 1000);
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      client ??= createClient({ socketPath: daemon.socketPath, timeoutMs: 30_000 });
      const t0 = performance.now();
      try {
        const answer = await client.evaluate({
          session_id: 'evidence',
          agent_id: 'acceptance',
          actor: 'ci@example.com',
          action_type: 'execute_command',
          target: `echo ${i}`,
          requested_operation: 'execute',
        });
        figures.latencies.push(performance.now() - t0);
        figures.answered.add(answer.decision_id);
      } catch (error) {
        figures.errors += 1;
        figures.lastError = error.code ?? error.message;
        await client.close().catch(() => undefined);
        client = undefined;
        await sleep(100);
      }
    }
    await client?.close().catch(() => undefined);
    return figures;
  });
  return {
    stop() {
      running = false;
      return Promise.all(loops);
    },
  };
}
