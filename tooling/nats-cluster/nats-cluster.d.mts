/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** How many nats-server processes (default 3); 1 starts a single JetStream server with no cluster. */
  nodes?: number;
  /** The folder holding each node's configuration, log and store folder (default: a new temp folder, removed by stop()). */
  dir?: string;
  /** Extra server configuration added to every node's file (an `authorization { ... }` block, for instance). */
  config?: string;
  /** JetStream on (default); false starts plain NATS servers (to test how clients fail without JetStream). */
  jetstream?: boolean;
  /** Each node's JetStream file storage limit, in nats-server's units (default `1GB`); past it, writes are refused. */
  maxFileStore?: string;
  /** Client ports to use instead of free ones picked by the OS (`npm run fleet:up` asks for 4222...). */
  ports?: number[];
  /** How long to wait for JetStream (a meta leader every node knows) before failing (default 20 000 ms). */
  readyTimeoutMs?: number;
}

/** One node of a running cluster. */
export interface NatsNode {
  name: string;
  url: string;
  port: number;
  clusterPort: number | undefined;
  monitorUrl: string;
  storeDir: string;
  logFile: string;
  pid: number | undefined;
  running: boolean;
}

/** A running cluster. */
export interface NatsCluster {
  readonly dir: string;
  /** The client URLs, one per node, for a NATS client's `servers`. */
  readonly servers: string[];
  readonly nodes: NatsNode[];
  /** `kill -9` of node `index` (0-based): no shutdown, no flush. */
  kill(index: number): Promise<void>;
  /** A clean shutdown of node `index` (SIGTERM; SIGKILL after 10 s): the server writes out its stores first. */
  shutDown(index: number): Promise<void>;
  /** Starts node `index` again (stopping it first if it runs) on its ports and store folder; resolves once it knows the meta leader. */
  restart(index: number): Promise<void>;
  /**
   * Resolves once every running node names the same running meta leader and every replicated stream (bucket) has a
   * running leader: after a kill -9, once the survivors re-elected them.
   */
  ready(): Promise<void>;
  /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes the folder when the cluster created it. */
  stop(): Promise<void>;
}

/** Starts real nats-server processes on loopback with JetStream; resolves once JetStream is usable. */
export function startNatsCluster(options?: NatsClusterOptions): Promise<NatsCluster>;
