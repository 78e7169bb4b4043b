import { describe, it } from 'vitest';
import { approvalStoreConformance } from '../src/conformance.js';
import { createMemoryApprovalStore } from '../src/index.js';

describe('the memory store passes the store conformance suite', () => {
  for (const c of approvalStoreConformance(({ now }) => createMemoryApprovalStore({ now })))
    it(c.name, c.run);
});
