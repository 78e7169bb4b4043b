import type { Heartbeat } from './heartbeat.js';

/**
 * A daemon's shipping lag as `cavra fleet status` and the console show it: the records its heartbeat says are not
 * acknowledged by the fleet's stream yet, or why there is no number.
 */
export function shippingLag(heartbeat: Heartbeat): string {
  const shipping = heartbeat.evidence_shipping;
  if (!shipping) return 'not shipping';
  if (shipping.pending === null) return 'not connected yet';
  return `${shipping.pending} record${shipping.pending === 1 ? '' : 's'}`;
}
