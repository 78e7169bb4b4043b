#!/usr/bin/env node
// The @cavra/contracts tour: `node demo.mjs` here, or `npx pnpm@9.15.9 --filter @cavra/example-contracts-demo demo`.
import { toRuntimeRequest } from '@cavra/contracts';
import { decisionFor, refusedIssues, roundTrip } from './lib/contract-tour.mjs';

const { message, jsonBytes, protobufBytes, decoded } = roundTrip();
console.log(`EvaluateRequest: ${jsonBytes} bytes of JSON, ${protobufBytes} bytes of protobuf`);
console.log('decoded back to JSON:', JSON.stringify(decoded));

const runtime = toRuntimeRequest(message);
console.log(
  `runtime request: ${runtime.actionType} ${runtime.operation} on ${runtime.target}; ` +
    `evidence ${runtime.releaseGovernance.metadataKind}, ${runtime.releaseGovernance.failedDeliveryCount} failed delivery`,
);

const decision = decisionFor(message, {
  decisionId: 'dec-0001',
  correlationId: 'corr-0001',
  timestamp: new Date().toISOString(),
});
console.log('DecisionResponse:', JSON.stringify(decision));

console.log('a bad request is refused, every field named:');
for (const issue of refusedIssues()) console.log(`  ${issue.path}: ${issue.code}: ${issue.message}`);
