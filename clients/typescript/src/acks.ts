/**
 * Completions from every slot of a runner, sent together.
 *
 * One POST /complete goes out as soon as the previous one is answered, carrying every job that
 * finished meanwhile (at most MAX_COMPLETE_BATCH): an idle runner acknowledges a job at once,
 * and a busy one sends one request for many jobs instead of one each.
 */

import { MAX_COMPLETE_BATCH } from "./bounds.js";
import type { WorkerServiceClient } from "./client.js";
import type { CompletedJob } from "./protocol.js";

interface AwaitingAck {
  jobs: CompletedJob[];
  resolve: (recorded: Set<string>) => void;
  reject: (error: unknown) => void;
}

export class Acknowledger {
  readonly #queue: AwaitingAck[] = [];
  #sending = false;

  constructor(private readonly client: WorkerServiceClient) {}

  /** The ids among `jobs` that were recorded; rejects when the request carrying them failed. */
  complete(jobs: CompletedJob[]): Promise<Set<string>> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ jobs, resolve, reject });
      if (!this.#sending) void this.#sendAll();
    });
  }

  async #sendAll(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#queue.length > 0) await this.#send(this.#takeBatch());
    } finally {
      this.#sending = false;
    }
  }

  /** The oldest waiting slots whose jobs fit in one request (always at least one: a slot
   * claims at most MAX_CLAIM_BATCH, which is no more than MAX_COMPLETE_BATCH). */
  #takeBatch(): AwaitingAck[] {
    const batch: AwaitingAck[] = [];
    let size = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (batch.length > 0 && size + next.jobs.length > MAX_COMPLETE_BATCH) break;
      batch.push(this.#queue.shift()!);
      size += next.jobs.length;
    }
    return batch;
  }

  async #send(batch: AwaitingAck[]): Promise<void> {
    let recorded: Set<string>;
    try {
      recorded = await this.client.completeMany(batch.flatMap((waiting) => waiting.jobs));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (const waiting of batch) {
      waiting.resolve(new Set(waiting.jobs.map((job) => job.id).filter((id) => recorded.has(id))));
    }
  }
}
