/** What can go wrong, each with the message a person reads. */

/** Throw it from a handler when another attempt cannot help: the job fails at once, for good. */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";
}

/** The runner cannot start: a setting is missing or wrong (the message names it). */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * The worker service could not be reached, answered 5xx (503: its database is away), or
 * answered something this runner cannot read. Trying again later may help.
 */
export class WorkerServiceUnavailable extends Error {
  override name = "WorkerServiceUnavailable";
}

/** The worker service refused a request as malformed (413, 415, 422): sending it again cannot help. */
export class RequestRefused extends Error {
  override name = "RequestRefused";
}

/** The worker service refused JOBDECK_TOKEN: every request would be refused the same way. */
export class TokenRefused extends Error {
  override name = "TokenRefused";

  constructor(
    readonly status: number,
    detail: string,
  ) {
    const why = status === 401 ? "unknown, expired or revoked" : "not a runner token";
    super(`the worker service refused JOBDECK_TOKEN (${status}, ${why}): ${detail}`);
  }
}
