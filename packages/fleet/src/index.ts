export { FLEET_BUCKETS } from './fleet-buckets.js';
export { FLEET_ERROR_CODES, FleetError, type FleetErrorCode, isFleetErrorCode } from './fleet-error.js';
