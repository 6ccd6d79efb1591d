/**
 * A claimed job while this runner holds it: its lease as far as the runner can know it, and
 * the signal that stops its handler.
 */

import type { ClaimedJob } from "./protocol.js";

/** Used when the claim's answer does not say how long the lease is (the service's default). */
const FALLBACK_LEASE_MS = 60_000;

/** Why a handler was stopped before it finished. */
export type StopReason = "lease lost" | "timed out" | "shutting down";

export class HeldJob {
  readonly controller = new AbortController();
  readonly leaseMs: number;
  /** When (performance.now()) the last request that renewed the lease was sent. */
  #renewedAt: number;
  #lost = false;
  #running = true;

  constructor(
    readonly job: ClaimedJob,
    claimSentAt: number,
  ) {
    this.leaseMs = leaseMs(job);
    this.#renewedAt = claimSentAt;
  }

  get id(): string {
    return this.job.id;
  }

  get attempt(): number {
    return this.job.attempts;
  }

  get running(): boolean {
    return this.#running;
  }

  finished(): void {
    this.#running = false;
  }

  /** A heartbeat sent at `sentAt` renewed the lease. */
  renewed(sentAt: number): void {
    this.#renewedAt = Math.max(this.#renewedAt, sentAt);
  }

  /** The service said the job is no longer ours: it may be running elsewhere already. */
  lost(): void {
    this.#lost = true;
    this.stop("lease lost");
  }

  stop(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  get stopReason(): StopReason | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as StopReason) : undefined;
  }

  /**
   * Whether the lease is surely gone: the service said so, or no renewal has been confirmed
   * for a whole lease. Measured from when the renewing request was sent, so a slow answer
   * cannot make the runner believe it holds the job longer than it does.
   */
  leaseSurelyGone(now = performance.now()): boolean {
    return this.#lost || now - this.#renewedAt > this.leaseMs;
  }

  /** Milliseconds until the lease runs out unless renewed (0 once it has). */
  leaseLeftMs(now = performance.now()): number {
    return this.#lost ? 0 : Math.max(0, this.#renewedAt + this.leaseMs - now);
  }
}

/** The lease's length, both ends on the service's clock, so no clock skew enters it. */
function leaseMs(job: ClaimedJob): number {
  if (job.locked_until && job.updated_at) {
    const length = Date.parse(job.locked_until) - Date.parse(job.updated_at);
    if (Number.isFinite(length) && length > 0) return length;
  }
  return FALLBACK_LEASE_MS;
}
