/** Clock skew tolerated on a review's and an ID token's iat/exp, in seconds. */
export const REVIEW_SKEW_SECONDS = 60;
/** Longest life of a review (exp - iat), in seconds: a review is signed for a decision being made now. */
export const REVIEW_MAX_LIFETIME_SECONDS = 600;
/** The `typ` of a review JWS. */
export const REVIEW_TYP = 'cavra-approval-review+jws';
/** Longest `reason`, in characters. */
export const REVIEW_MAX_REASON = 512;
