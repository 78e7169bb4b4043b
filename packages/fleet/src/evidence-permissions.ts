import {
  EVIDENCE_ALERT_SUBJECTS,
  EVIDENCE_BUCKETS,
  EVIDENCE_STREAM,
  EVIDENCE_VERIFIER_CONSUMER,
} from './evidence-names.js';
import { FLEET_BUCKETS } from './fleet-buckets.js';
import { bind, consume, KV, type NatsPermissions, OBJ, read, unique } from './nats-permissions.js';

// What the NATS JavaScript client (3.x) asks of JetStream on nats-server 2.9+ for the evidence roles (server docs
// "JetStream API Reference": consumer create, info, next message, acks; checked by the daemon's
// test/evidence-permissions.test.ts with the real verifier and reader).

/** What every fleet connection binds (connectFleet opens the bundle buckets). */
function fleetBinds(): string[] {
  return [
    ...bind(KV(FLEET_BUCKETS.bundleHeads)),
    ...bind(KV(FLEET_BUCKETS.fleetStatus)),
    ...bind(OBJ(FLEET_BUCKETS.bundles)),
  ];
}

/**
 * The central evidence verifier (`cavra-daemon evidence verifier`): its durable consumer on `CAVRA_EVIDENCE` (create,
 * update, next message, acks), the three evidence buckets (read and write), and alerts. It may not publish evidence.
 */
export function evidenceVerifierPermissions(): NatsPermissions {
  const durable = `${EVIDENCE_STREAM}.${EVIDENCE_VERIFIER_CONSUMER}`;
  const buckets = Object.values(EVIDENCE_BUCKETS);
  return {
    publish: {
      allow: unique([
        ...fleetBinds(),
        ...bind(EVIDENCE_STREAM),
        // Whether records missing before a batch are stored, only delivered late (evidence-verifier.ts).
        ...read(EVIDENCE_STREAM),
        `$JS.API.CONSUMER.INFO.${durable}`,
        `$JS.API.CONSUMER.CREATE.${durable}`,
        `$JS.API.CONSUMER.CREATE.${durable}.>`,
        `$JS.API.CONSUMER.DURABLE.CREATE.${durable}`,
        `$JS.API.CONSUMER.MSG.NEXT.${durable}`,
        `$JS.ACK.${durable}.>`,
        ...buckets.flatMap((bucket) => [...bind(KV(bucket)), ...read(KV(bucket)), `$KV.${bucket}.>`]),
        EVIDENCE_ALERT_SUBJECTS,
      ]),
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}

/** Who reads the shipped evidence (`cavra evidence query`): an ordered consumer on `CAVRA_EVIDENCE`, the heads. */
export function evidenceReaderPermissions(): NatsPermissions {
  const heads = KV(EVIDENCE_BUCKETS.heads);
  return {
    publish: {
      allow: unique([
        ...fleetBinds(),
        ...bind(EVIDENCE_STREAM),
        ...consume(EVIDENCE_STREAM),
        `$JS.API.CONSUMER.MSG.NEXT.${EVIDENCE_STREAM}.>`,
        ...bind(heads),
        ...read(heads),
      ]),
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}
