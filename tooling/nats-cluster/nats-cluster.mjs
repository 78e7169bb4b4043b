// Real nats-server processes for the fleet tests and `npm run fleet:up`: a JetStream cluster on loopback ports, each
// node with its own store folder and log, resolved only once JetStream is usable (a meta leader is elected and every
// node knows it), stopped as a whole or one node at a time (SIGKILL for `kill -9`). No mock NATS anywhere.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOOPBACK = '127.0.0.1';
// Every node started by this process, killed when it exits, so that a crashed test run leaves no server behind.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/**
 * Starts `nodes` nats-server processes (default 3) clustered on loopback with JetStream on, under `dir` (a new temp
 * folder when not given: removed by stop()). `config` is extra server configuration added to every node's file (an
 * `authorization { ... }` block, for instance). `readyTimeoutMs` bounds the wait for the meta leader.
 */
export async function startNatsCluster({
  nodes = 3,
  dir,
  config = '',
  jetstream = true,
  maxFileStore = '1GB',
  readyTimeoutMs = 20_000,
  ports,
} = {}) {
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error(`nodes must be an integer ≥ 1, got ${nodes}`);
  if (!/^[1-9][0-9]*(KB|MB|GB|TB)?$/.test(maxFileStore))
    throw new Error(`maxFileStore must be a size such as 512MB or 4GB, got ${maxFileStore}`);
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'cavra-nats-')));
  const ownsRoot = dir === undefined;
  if (ports !== undefined && ports.length !== nodes)
    throw new Error(`ports names ${ports.length} ports for ${nodes} nodes`);
  const picked = await freePorts(3 * nodes, ports ?? []);
  const clientPorts = ports ?? picked.splice(0, nodes);
  const clusterPorts = nodes > 1 ? picked.splice(0, nodes) : [];
  const monitorPorts = picked.splice(0, nodes);
  const specs = clientPorts.map((port, index) => ({
    name: `n${index + 1}`,
    port,
    clusterPort: clusterPorts[index],
    monitorPort: monitorPorts[index],
    storeDir: join(root, `n${index + 1}`, 'store'),
    configFile: join(root, `n${index + 1}.conf`),
    logFile: join(root, `n${index + 1}.log`),
    jetstream,
    maxFileStore,
  }));
  for (const spec of specs) await writeFile(spec.configFile, serverConfig(spec, specs, config));

  const children = new Array(nodes);
  const launch = (index) => {
    const spec = specs[index];
    const child = spawn('nats-server', ['-c', spec.configFile], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('error', () => {}); // ENOENT surfaces through `exited` and the readiness check's message.
    liveChildren.add(child);
    exited.then(() => liveChildren.delete(child));
    children[index] = { child, exited };
  };
  const stopNode = async (index, signal) => {
    const node = children[index];
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    node.child.kill(signal);
    const timer = setTimeout(() => node.child.kill('SIGKILL'), 10_000);
    await node.exited;
    clearTimeout(timer);
  };

  const cluster = {
    dir: root,
    servers: specs.map((spec) => `nats://${LOOPBACK}:${spec.port}`),
    get nodes() {
      return specs.map((spec, index) => ({
        name: spec.name,
        url: `nats://${LOOPBACK}:${spec.port}`,
        port: spec.port,
        clusterPort: spec.clusterPort,
        monitorUrl: `http://${LOOPBACK}:${spec.monitorPort}`,
        storeDir: spec.storeDir,
        logFile: spec.logFile,
        pid: children[index]?.child.pid,
        running: children[index]?.child.exitCode === null && children[index]?.child.signalCode === null,
      }));
    },
    /** `kill -9` of one node: no shutdown, no flush. */
    kill: (index) => stopNode(checked(index), 'SIGKILL'),
    /** A clean shutdown of one node (SIGTERM; SIGKILL after 10 s): the server writes out its stores first. */
    shutDown: (index) => stopNode(checked(index), 'SIGTERM'),
    /** Starts a stopped or killed node again on its ports and store folder; resolves once the cluster is ready. */
    restart: async (index) => {
      await cluster.shutDown(index);
      launch(index);
      await cluster.ready();
    },
    /** Resolves once the meta group and every replicated stream have a running leader (after a kill, re-elected). */
    ready: () => waitReady(running(), nodes > 1, readyTimeoutMs),
    /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes the folder it created. */
    stop: async () => {
      await Promise.all(specs.map((_, index) => stopNode(index, 'SIGTERM')));
      if (ownsRoot) await rm(root, { recursive: true, force: true });
    },
  };
  const checked = (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= nodes)
      throw new Error(`no node ${index}: the cluster has nodes 0..${nodes - 1}`);
    return index;
  };

  const running = () =>
    specs
      .map((spec, index) => ({ spec, child: children[index].child }))
      .filter(({ child }) => child.exitCode === null && child.signalCode === null);

  for (const index of specs.keys()) launch(index);
  try {
    await cluster.ready();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** One node's configuration file: client, cluster and monitoring listeners on loopback, JetStream in its folder. */
function serverConfig(spec, specs, extra) {
  const lines = [
    `server_name: ${spec.name}`,
    `listen: ${LOOPBACK}:${spec.port}`,
    `http: ${LOOPBACK}:${spec.monitorPort}`,
    `log_file: ${JSON.stringify(spec.logFile)}`,
  ];
  // Small limits by default: the machines running the tests are shared.
  if (spec.jetstream)
    lines.push(
      `jetstream { store_dir: ${JSON.stringify(spec.storeDir)}, max_memory_store: 64MB, max_file_store: ${spec.maxFileStore} }`,
    );
  if (specs.length > 1) {
    const routes = specs
      .filter((other) => other !== spec)
      .map((other) => `nats-route://${LOOPBACK}:${other.clusterPort}`);
    lines.push(
      `cluster { name: cavra, listen: ${LOOPBACK}:${spec.clusterPort}, routes: [${routes.join(', ')}] }`,
    );
  }
  return `${lines.join('\n')}\n${extra}\n`;
}

/**
 * Resolves once each started node accepts clients on its port and its monitoring endpoint reports JetStream on and,
 * in a cluster, the same meta leader (`/jsz`'s `meta_cluster.leader`), one of them; rejects naming a late node and
 * its log's last lines otherwise.
 */
async function waitReady(started, clustered, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const names = started.map(({ spec }) => spec.name);
  for (;;) {
    const leaders = [];
    for (const { spec, child } of started) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `nats-server ${spec.name} exited (${child.exitCode ?? child.signalCode}):\n${await tail(spec)}`,
        );
      // The monitoring endpoint answers before the client port listens: a client connecting then is refused.
      const jsz = (await accepts(spec.port))
        ? await fetchJson(`http://${LOOPBACK}:${spec.monitorPort}/jsz?accounts=true&streams=true`)
        : undefined;
      if (!jsz) leaders.push(undefined);
      else if (!spec.jetstream) leaders.push('');
      else if (jsz.config === undefined) leaders.push(undefined);
      else if (!clustered) leaders.push('');
      // A stream whose leader is gone (killed) answers nothing until its replicas elect another.
      else if (streamLeaders(jsz).every((leader) => names.includes(leader)))
        leaders.push(jsz.meta_cluster?.leader);
      else leaders.push(undefined);
    }
    // Ready: every running node answers, all name the same meta leader, itself running (after a kill -9 of the
    // leader the others still name it until they elect another), and every replicated stream has a running leader.
    const [first] = leaders;
    if (
      first !== undefined &&
      leaders.every((leader) => leader === first) &&
      (first === '' || names.includes(first))
    )
      return;
    if (Date.now() > deadline) {
      const late = started.filter((_, index) => leaders[index] === undefined)[0] ?? started[0];
      throw new Error(
        `nats-server ${late.spec.name}: JetStream not ready after ${timeoutMs} ms (leaders seen: ${JSON.stringify(leaders)}):\n${await tail(late.spec)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The leader each replicated stream has, as a node's `/jsz?accounts=true&streams=true` reports it. */
function streamLeaders(jsz) {
  return (jsz.account_details ?? []).flatMap((account) =>
    (account.stream_detail ?? []).filter((stream) => stream.cluster).map((stream) => stream.cluster.leader),
  );
}

/** Whether a TCP connection to the loopback port is accepted. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function fetchJson(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined; // Not listening yet.
  }
}

async function tail(spec) {
  const log = await readFile(spec.logFile, 'utf8').catch(
    () => '(no log: is nats-server installed? see tooling/system-packages.mjs)',
  );
  return log.split('\n').slice(-15).join('\n');
}

/**
 * Below the ports the OS hands out for outgoing connections (Linux 32768-60999, macOS 49152-65535): a node killed
 * and restarted binds its ports again, and a port from the ephemeral range may meanwhile be some connection's local
 * port (seen: `bind: address already in use` on a route port during a restart).
 */
const PORT_RANGE = { from: 20_000, to: 32_767 };

/** `count` distinct free loopback ports of PORT_RANGE, none of `taken` (each was bound once, then released). */
async function freePorts(count, taken) {
  const ports = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 1_000)
      throw new Error(`no ${count} free loopback ports in ${PORT_RANGE.from}-${PORT_RANGE.to}`);
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (taken.includes(port) || ports.includes(port) || !(await canBind(port))) continue;
    ports.push(port);
  }
  return ports;
}

function canBind(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}
