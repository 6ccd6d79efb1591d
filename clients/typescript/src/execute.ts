/** Running one claimed job's handler, and turning whatever happens into its outcome. */

import { DEFAULT_MAX_RESULT_BYTES } from "./bounds.js";
import { NonRetryableError } from "./errors.js";
import type { HeldJob } from "./lease.js";
import type { JobResult } from "./protocol.js";

/** What a handler is given. `signal` aborts when the runner gives up on the job (its lease was
 * lost, its type's timeout passed, or the runner is shutting down): pass it on to fetch and
 * the like, so the work stops too. */
export interface JobContext {
  id: string;
  type: string;
  attempt: number;
  payload: Record<string, unknown>;
  signal: AbortSignal;
}

export type Handler = (job: JobContext) => Promise<JobResult | null | undefined | void>;
export type Handlers = Readonly<Record<string, Handler>>;

export type Outcome =
  | { kind: "completed"; result: JobResult | null }
  | { kind: "failed"; error: string; retryable: boolean }
  /** The lease was lost: someone else may run the job now, so nothing is reported. */
  | { kind: "abandoned" };

export async function execute(
  held: HeldJob,
  handler: Handler | undefined,
  defaultTimeoutSeconds: number | undefined,
): Promise<Outcome> {
  const { job, controller } = held;
  if (handler === undefined) {
    // Claimed because `types` named it: another attempt here would fail the same way.
    return failed(`no handler for type ${job.type} on this runner (give it one in --handlers)`, false);
  }
  // The type's own timeout (sent with the claim) wins over the runner's default.
  const timeoutSeconds = job.timeout_seconds ?? defaultTimeoutSeconds;
  const timer =
    timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => held.stop("timed out"), timeoutSeconds * 1000);
  const stopped = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  const context: JobContext = {
    id: job.id,
    type: job.type,
    attempt: job.attempts,
    payload: job.payload,
    signal: controller.signal,
  };
  try {
    const running = Promise.resolve().then(() => handler(context));
    running.catch(() => {}); // a handler that fails after being given up on fails unheard
    return completed(await Promise.race([running, stopped]));
  } catch (error) {
    switch (held.stopReason) {
      case "lease lost":
        return { kind: "abandoned" };
      case "timed out":
        return failed(`timed out after ${timeoutSeconds} s`, true);
      case "shutting down":
        return failed("runner shut down before finishing", true);
    }
    if (error instanceof NonRetryableError) return failed(error.message, false);
    return failed(describe(error), true);
  } finally {
    clearTimeout(timer);
    held.finished();
  }
}

function failed(error: string, retryable: boolean): Outcome {
  return { kind: "failed", error, retryable };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown: ${String(error)}`;
}

/** A handler's return value as a result the service will store, or why it cannot be one.
 * Checked here, so one bad result fails its job for good instead of the batch it joins. */
function completed(value: unknown): Outcome {
  if (value === undefined || value === null) return { kind: "completed", result: null };
  if (typeof value !== "object" || Array.isArray(value)) {
    return failed(
      `its result cannot be stored: a handler returns a JSON object, not ${kindOf(value)}`,
      false,
    );
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return failed(`its result cannot be stored: ${describe(error)}`, false);
  }
  if (text.includes("\\u0000")) {
    return failed(
      "its result cannot be stored: it holds a NUL character, which PostgreSQL cannot store",
      false,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > DEFAULT_MAX_RESULT_BYTES) {
    return failed(
      `its result cannot be stored: ${bytes} bytes of JSON, over ${DEFAULT_MAX_RESULT_BYTES}`,
      false,
    );
  }
  // What is sent is what was checked: the JSON text, parsed back (no toJSON surprises later).
  return { kind: "completed", result: JSON.parse(text) as JobResult };
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
