/**
 * The runner's HTTP client of the worker service; the only code here that speaks HTTP to it.
 * Node's global fetch keeps connections alive between requests, so a busy runner reuses a few.
 */

import { MAX_ERROR_CHARS, MAX_WAIT_SECONDS } from "./bounds.js";
import { RequestRefused, TokenRefused, WorkerServiceUnavailable } from "./errors.js";
import type {
  ClaimedJob,
  ClaimedJobs,
  ClaimOptions,
  CompleteBatchAnswer,
  CompleteBatchBody,
  CompletedJob,
  FailBody,
  HeartbeatAnswer,
  HeartbeatBody,
} from "./protocol.js";

// A long-poll is held up to MAX_WAIT_SECONDS: leave room for the answer. Other requests are
// answered at once unless the service is in trouble.
const CLAIM_TIMEOUT_MS = (MAX_WAIT_SECONDS + 10) * 1000;
const REQUEST_TIMEOUT_MS = 15_000;

interface Answer {
  status: number;
  text: string;
}

export class WorkerServiceClient {
  readonly #baseUrl: string;
  readonly #authorization: string;

  constructor(
    baseUrl: string,
    token: string,
    readonly workerId: string,
  ) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#authorization = `Bearer ${token}`;
  }

  /** Up to `options.limit` jobs (always asked with `limit`, so the answer is `{"jobs": [...]}`). */
  async claim(options: ClaimOptions, signal?: AbortSignal): Promise<ClaimedJob[]> {
    const query = new URLSearchParams({ worker_id: this.workerId });
    if (options.types?.length) query.set("types", options.types.join(","));
    if (options.wait !== undefined) query.set("wait", String(options.wait));
    query.set("limit", String(options.limit ?? 1));
    const timeout = AbortSignal.timeout(CLAIM_TIMEOUT_MS);
    const { status, text } = await this.#send("POST", `/process?${query}`, undefined, {
      allow: [204],
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return status === 204 ? [] : parse<ClaimedJobs>(text, "jobs").jobs;
  }

  /** Acknowledges a batch in one round trip; the ids that were recorded (the rest were not ours). */
  async completeMany(jobs: CompletedJob[]): Promise<Set<string>> {
    const body: CompleteBatchBody = { jobs, worker_id: this.workerId };
    const { text } = await this.#send("POST", "/complete", body);
    return new Set(parse<CompleteBatchAnswer>(text, "completed").completed);
  }

  /** Reports a failed attempt; false when the service no longer counts the job as ours. */
  async fail(jobId: string, attempt: number, error: string, retryable: boolean): Promise<boolean> {
    const body: FailBody = { error: reportableError(error), retryable, attempt, worker_id: this.workerId };
    const { status } = await this.#send("POST", `/fail/${jobId}`, body, { allow: [404, 409] });
    return status === 200;
  }

  /** Renews the leases of `jobIds`; the ids among them this runner no longer holds. */
  async heartbeat(jobIds: string[], processed: number, stopping: boolean): Promise<Set<string>> {
    const body: HeartbeatBody = { jobs: jobIds, processed, stopping };
    const { text } = await this.#send(
      "POST",
      `/workers/${encodeURIComponent(this.workerId)}/heartbeat`,
      body,
    );
    return new Set(parse<HeartbeatAnswer>(text, "lost").lost);
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    {
      allow = [],
      signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }: { allow?: number[]; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { authorization: this.#authorization };
    if (body !== undefined) headers["content-type"] = "application/json";
    let answer: Answer;
    try {
      const response = await fetch(this.#baseUrl + path, {
        method,
        headers,
        signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      answer = { status: response.status, text: await response.text() };
    } catch (error) {
      throw new WorkerServiceUnavailable(`${method} ${route(path)}: ${describe(error)}`);
    }
    const { status, text } = answer;
    if (status === 401 || status === 403) throw new TokenRefused(status, text.slice(0, 500));
    if ((status >= 200 && status < 300) || allow.includes(status)) return answer;
    const what = `${method} ${route(path)}: ${status} ${text.slice(0, 500)}`;
    // 413, 415, 422: this request is wrong, and would be refused again. Anything else (5xx,
    // a proxy's answer) says the service is in trouble: try later.
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new RequestRefused(what);
    throw new WorkerServiceUnavailable(what);
  }
}

function route(path: string): string {
  return path.split("?")[0] ?? path;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch's "fetch failed" says little; its cause says what (ECONNREFUSED, a reset, a timeout).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.name}: ${error.message}${cause}`;
}

function parse<T>(text: string, field: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WorkerServiceUnavailable(`unexpected answer (not JSON): ${text.slice(0, 200)}`);
  }
  if (
    typeof value !== "object" ||
    value === null ||
    !Array.isArray((value as Record<string, unknown>)[field])
  ) {
    throw new WorkerServiceUnavailable(`unexpected answer (no "${field}" list): ${text.slice(0, 200)}`);
  }
  return value as T;
}

/**
 * An error text the service accepts whatever a handler threw: never empty, no NUL (which
 * PostgreSQL cannot store), cut to the contract's length. Refused, the report would be lost.
 */
export function reportableError(error: string): string {
  const text = error.replaceAll("\0", "\\x00").trim() || "failed without a message";
  return text.slice(0, MAX_ERROR_CHARS);
}
