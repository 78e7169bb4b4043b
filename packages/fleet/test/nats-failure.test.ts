import { expect, test } from 'vitest';
import { toFleetError } from '../src/index.js';

test('an error without text is named by its name and code (a stuck shipper said only "...with an error: ")', () => {
  const silent = Object.assign(new Error(''), { name: 'JetStreamApiError', code: 10077 });
  expect([toFleetError(silent).code, toFleetError(silent).message]).toEqual([
    'nats_error',
    'the NATS servers answered with an error: JetStreamApiError 10077',
  ]);
  expect(toFleetError(new Error('stream not found')).message).toBe(
    'the NATS servers answered with an error: stream not found',
  );
});
