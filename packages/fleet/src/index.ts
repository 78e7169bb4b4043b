export {
  type BundlePack,
  FLEET_BUNDLE_SCHEMA,
  type FleetBundle,
} from './bundle-document.js';
export { type BundleHead, type BundleStoreConnection, openBundleStore, readBundleHead } from './bundle-store.js';
export { BUNDLE_HEADS_BUCKET, BUNDLE_OBJECT_STORE } from './bundle-store-names.js';
export { type ChannelTrust, type InitChannelTrustOptions, initChannelTrust } from './channel-trust.js';
export {
  type FetchVerifiedBundleOptions,
  fetchVerifiedBundle,
  type VerifiedBundle,
} from './fetch-verified-bundle.js';
export { FLEET_ERROR_CODES, FleetError, type FleetErrorCode, isFleetErrorCode } from './fleet-error.js';
export { type PublishBundleOptions, type PublishedBundle, publishBundle } from './publish-bundle.js';
export { DEFAULT_EXPIRY_DAYS, type TufExpiryDays } from './tuf-expiry.js';
export { TUF_ROLES, type TufRole } from './tuf-keys.js';
export { type RotateChannelKeysOptions, type RotatedChannelKeys, rotateChannelKeys } from './rotate-channel-keys.js';
