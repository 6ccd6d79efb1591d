/**
 * The contract's bounds this runner keeps to, as job_contract/bounds.py has them
 * (tests/typescript/test_protocol_drift.py fails when the two differ).
 */

/** Jobs one POST /process?limit= may claim. */
export const MAX_CLAIM_BATCH = 100;
/** Jobs one POST /complete may acknowledge. */
export const MAX_COMPLETE_BATCH = 100;
/** Seconds a long-poll may be held. */
export const MAX_WAIT_SECONDS = 30;
/** Characters of a failure's error text. */
export const MAX_ERROR_CHARS = 10_000;
/** A result's JSON, unless the worker service's MAX_RESULT_BYTES says otherwise. */
export const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;
