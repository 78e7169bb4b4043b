import { createMemoryApprovalStore } from '../src/index.js';
import { approvalStoreConformance } from '../src/conformance.js';
import { describe, it } from 'vitest';

describe('the memory store passes the store conformance suite', () => {
  for (const c of approvalStoreConformance(({ now }) => createMemoryApprovalStore({ now }))) it(c.name, c.run);
});
