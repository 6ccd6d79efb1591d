/**
 * The runner: claim slots, one heartbeat for every held job, reports that survive a lost
 * answer, and a graceful stop.
 *
 * `concurrency` slots each long-poll the worker service for up to `batchSize` jobs, run them,
 * and report the outcomes; completions from all slots share requests (acks.ts). On stop: no
 * new claims; jobs in flight get `shutdownGraceSeconds` to finish, and whatever still runs
 * then is failed back as retryable, so another runner picks it up at once.
 */

import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

import { Acknowledger } from "./acks.js";
import { MAX_CLAIM_BATCH, MAX_WAIT_SECONDS } from "./bounds.js";
import { WorkerServiceClient } from "./client.js";
import { ConfigurationError, TokenRefused, WorkerServiceUnavailable } from "./errors.js";
import { execute, type Handlers } from "./execute.js";
import { HeldJob } from "./lease.js";
import { stderrLogger, type Logger } from "./log.js";
import { isJobTypeName, type ClaimOptions, type JobResult } from "./protocol.js";
import { DEFAULT_SETTINGS } from "./settings.js";

export interface RunnerOptions {
  /** Job type name → async handler. */
  handlers: Handlers;
  /** A runner token (JOBDECK_TOKEN). */
  token: string;
  workerServiceUrl?: string;
  /** This runner's name in leases and timelines (default: host, pid and a random tag). */
  workerId?: string;
  /** Jobs run at once (default 4). */
  concurrency?: number;
  /** Jobs each slot claims per request (default 1, at most 100). */
  batchSize?: number;
  /** The job types to claim (default: those `handlers` has). */
  types?: string[];
  heartbeatIntervalSeconds?: number;
  shutdownGraceSeconds?: number;
  /** How long a handler may run when its type has no `timeout_seconds` (default: no limit). */
  defaultTimeoutSeconds?: number;
  logger?: Logger;
}

export class Runner {
  readonly workerId: string;
  /** Jobs finished (whatever their outcome) since the runner started. */
  processed = 0;
  /** Set when the service refused the token; the runner has stopped then. */
  refused: TokenRefused | undefined;

  readonly #client: WorkerServiceClient;
  readonly #acks: Acknowledger;
  readonly #options: Required<Omit<RunnerOptions, "defaultTimeoutSeconds" | "workerId" | "types">> &
    Pick<RunnerOptions, "defaultTimeoutSeconds">;
  readonly #claim: ClaimOptions;
  readonly #log: Logger;
  readonly #inFlight = new Map<string, HeldJob>();
  readonly #stopping = new AbortController();
  /** Set once a drain's grace period has run out: reports get no more retries then. */
  #graceOver = false;

  constructor(options: RunnerOptions) {
    this.workerId =
      options.workerId ?? `${hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 6)}`;
    this.#options = {
      workerServiceUrl: DEFAULT_SETTINGS.workerServiceUrl,
      concurrency: 4,
      batchSize: 1,
      heartbeatIntervalSeconds: DEFAULT_SETTINGS.heartbeatIntervalSeconds,
      shutdownGraceSeconds: DEFAULT_SETTINGS.shutdownGraceSeconds,
      logger: stderrLogger(),
      ...options,
    };
    const { concurrency, batchSize, handlers } = this.#options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigurationError(`concurrency must be a whole number, 1 or more: ${concurrency}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_CLAIM_BATCH) {
      throw new ConfigurationError(
        `batchSize must be a whole number from 1 to ${MAX_CLAIM_BATCH}: ${batchSize}`,
      );
    }
    const types = options.types ?? Object.keys(handlers);
    const malformed = types.filter((name) => !isJobTypeName(name));
    if (malformed.length > 0) {
      throw new ConfigurationError(
        `not job type names: ${malformed.join(", ")} (a lower-case letter, then letters, digits or _)`,
      );
    }
    if (types.length === 0) throw new ConfigurationError("no job types to claim: give handlers or types");
    this.#log = this.#options.logger;
    this.#client = new WorkerServiceClient(this.#options.workerServiceUrl, options.token, this.workerId);
    this.#acks = new Acknowledger(this.#client);
    // Every claim asks the same, so it is built once.
    this.#claim = { types, wait: MAX_WAIT_SECONDS, limit: batchSize };
  }

  /** Stops claiming and drains (call it on SIGTERM / SIGINT); run() then resolves. */
  stop(): void {
    this.#stopping.abort();
  }

  get stopping(): boolean {
    return this.#stopping.signal.aborted;
  }

  /** Runs until stop(), then drains. */
  async run(): Promise<void> {
    const { concurrency, batchSize } = this.#options;
    this.#log.log(
      "info",
      `runner ${this.workerId}: ${concurrency} slots, batch ${batchSize}, types ${this.#claim.types?.join(",")}`,
      {
        worker_id: this.workerId,
      },
    );
    const heartbeatsDone = new AbortController();
    const heartbeats = this.#heartbeatForever(heartbeatsDone.signal);
    const slots = Array.from({ length: concurrency }, () => this.#slot());
    await once(this.#stopping.signal);
    await this.#drain(slots);
    heartbeatsDone.abort();
    await heartbeats;
    try {
      await this.#client.heartbeat([], this.processed, true);
    } catch (error) {
      this.#log.log("warning", `could not say goodbye: ${message(error)}`);
    }
  }

  // --- claiming -------------------------------------------------------------------------

  async #slot(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopping) {
      const sentAt = performance.now();
      let jobs;
      try {
        jobs = await this.#client.claim(this.#claim, this.#stopping.signal);
        backoffMs = 100;
      } catch (error) {
        if (this.stopping) return; // the long-poll was given up: the service claims nothing for it
        if (error instanceof TokenRefused) return this.#refuse(error);
        this.#log.log("warning", `cannot claim (${message(error)}); retrying in ${backoffMs / 1000} s`);
        await this.#sleepUnlessStopping(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      if (jobs.length > 0) await this.#runBatch(jobs.map((job) => new HeldJob(job, sentAt)));
    }
  }

  #refuse(error: TokenRefused): void {
    // Every request would be refused the same way: stop, saying why.
    this.#log.log("error", `${error.message}; stopping`);
    this.refused ??= error;
    this.stop();
  }

  async #sleepUnlessStopping(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stopping.signal }).catch(() => {});
  }

  // --- running and reporting ------------------------------------------------------------

  async #runBatch(batch: HeldJob[]): Promise<void> {
    for (const held of batch) {
      this.#inFlight.set(held.id, held);
      this.#log.log("debug", `claimed job ${held.id} (attempt ${held.attempt})`, { job_id: held.id });
    }
    const { handlers, defaultTimeoutSeconds } = this.#options;
    const outcomes = await Promise.all(
      batch.map(
        async (held) => [held, await execute(held, handlers[held.job.type], defaultTimeoutSeconds)] as const,
      ),
    );
    const results = new Map<HeldJob, JobResult | null>();
    const reports: Promise<void>[] = [];
    for (const [held, outcome] of outcomes) {
      if (outcome.kind === "completed") results.set(held, outcome.result);
      else if (outcome.kind === "failed")
        reports.push(this.#reportFailure(held, outcome.error, outcome.retryable));
    }
    if (results.size > 0) {
      reports.push(
        this.#reportUntilAcknowledged([...results.keys()], async (stillOurs) => {
          const jobs = stillOurs.map((held) => ({
            id: held.id,
            attempt: held.attempt,
            result: results.get(held) ?? null,
          }));
          await this.#acks.complete(jobs);
        }),
      );
    }
    await Promise.all(reports);
    for (const held of batch) this.#inFlight.delete(held.id);
    this.processed += batch.length;
  }

  #reportFailure(held: HeldJob, error: string, retryable: boolean): Promise<void> {
    const fields = { job_id: held.id, type: held.job.type, attempt: held.attempt, worker_id: this.workerId };
    this.#log.log("info", `job ${held.id} attempt ${held.attempt} failed: ${error}`, fields);
    return this.#reportUntilAcknowledged([held], async () => {
      await this.#client.fail(held.id, held.attempt, error, retryable);
    });
  }

  /**
   * Sends a report until the service answers it. An answer lost on the way (a timeout, a 5xx, a
   * dropped connection) is sent again with back-off; the service answers a repeat of a report it
   * recorded as a success, so nothing runs twice and a success is never turned into a failure.
   * It gives up on a job once its lease is surely gone: the job is someone else's by then.
   * Heartbeats go on meanwhile (the jobs are still in flight), so a short outage costs nothing.
   */
  async #reportUntilAcknowledged(
    held: HeldJob[],
    send: (stillOurs: HeldJob[]) => Promise<void>,
  ): Promise<void> {
    let stillOurs = held;
    let backoffMs = 100;
    for (;;) {
      try {
        await send(stillOurs);
        return;
      } catch (error) {
        if (error instanceof TokenRefused) return this.#refuse(error);
        if (!(error instanceof WorkerServiceUnavailable)) {
          this.#log.log("error", `an outcome was refused, and is dropped: ${message(error)}`);
          return;
        }
        if (this.#graceOver) {
          // Shutting down past the grace period: the leases bring these jobs back instead.
          this.#log.log("warning", `giving up on reporting ${stillOurs.length} job(s): shutting down`);
          return;
        }
        const now = performance.now();
        const gone = stillOurs.filter((job) => job.leaseSurelyGone(now));
        for (const job of gone) {
          this.#log.log("warning", `giving up on reporting job ${job.id}: its lease is surely gone`, {
            job_id: job.id,
          });
        }
        stillOurs = stillOurs.filter((job) => !gone.includes(job));
        if (stillOurs.length === 0) return;
        const leaseLeftMs = Math.max(...stillOurs.map((job) => job.leaseLeftMs(now)));
        const waitMs = Math.min(backoffMs, leaseLeftMs + 1);
        this.#log.log("warning", `could not report (${message(error)}); again in ${Math.round(waitMs)} ms`);
        await sleep(waitMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  // --- leases ---------------------------------------------------------------------------

  async #heartbeatForever(done: AbortSignal): Promise<void> {
    const intervalMs = this.#options.heartbeatIntervalSeconds * 1000;
    while (!done.aborted) {
      const held = [...this.#inFlight.values()];
      const sentAt = performance.now();
      try {
        const lost = await this.#client.heartbeat(
          held.map((job) => job.id),
          this.processed,
          false,
        );
        for (const job of held) {
          if (!lost.has(job.id)) job.renewed(sentAt);
          else if (job.running) {
            // Someone else may already be running it: stop, and report nothing.
            this.#log.log("warning", `lost the lease of job ${job.id}; abandoning it`, { job_id: job.id });
            job.lost();
          } else {
            // Finished while the heartbeat was on its way: acknowledged already, or about to
            // be, and the fencing check decides whether that still counts.
            job.lost();
          }
        }
      } catch (error) {
        if (error instanceof TokenRefused) this.#refuse(error);
        else this.#log.log("warning", `heartbeat failed: ${message(error)}`);
      }
      await sleep(intervalMs, undefined, { signal: done }).catch(() => {});
    }
  }

  // --- stopping -------------------------------------------------------------------------

  /** Gives running jobs the grace period, then stops whatever has not finished: their slots
   * fail them back (retryable, one try) and the slots end. */
  async #drain(slots: Promise<void>[]): Promise<void> {
    const allDone = Promise.all(slots);
    const graceMs = this.#options.shutdownGraceSeconds * 1000;
    const graceOver = new AbortController(); // so the grace timer does not hold the process
    const inTime = await Promise.race([
      allDone.then(() => true),
      sleep(graceMs, false, { signal: graceOver.signal }).catch(() => true),
    ]);
    graceOver.abort();
    if (inTime) return;
    this.#graceOver = true;
    for (const held of this.#inFlight.values()) {
      if (held.running) {
        this.#log.log("info", `failing back job ${held.id}: shutting down before it finished`, {
          job_id: held.id,
        });
        held.stop("shutting down");
      }
    }
    await allDone;
  }
}

function once(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
