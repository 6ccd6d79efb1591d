// Handlers the TypeScript runner's tests plug in with --handlers: each does what its name says.
import { setTimeout as sleep } from "node:timers/promises";

import { NonRetryableError } from "../../../../clients/typescript/dist/index.js";

export default {
  // A custom type, owned by the Node runner: the result says who ran which attempt.
  ts_echo: async (job) => ({
    echoed: job.payload,
    attempt: job.attempt,
    runtime: `node ${process.version}`,
  }),
  ts_flaky: async (job) => {
    throw new Error(`flaky on attempt ${job.attempt}`);
  },
  ts_doomed: async (job) => {
    throw new NonRetryableError(`cannot ever work: ${job.payload.why}`);
  },
  // Sleeps `ms`, stopping when the runner gives up on the job (the signal aborts).
  ts_slow: async (job) => {
    await sleep(job.payload.ms, undefined, { signal: job.signal });
    return { slept_ms: job.payload.ms };
  },
  // Sleeps `ms` whatever happens: the runner cannot stop it, only stop waiting for it.
  ts_stubborn: async (job) => {
    await sleep(job.payload.ms);
    return { slept_ms: job.payload.ms };
  },
  // The built-in type, done by nothing: for queues a Python runner drains too.
  notification: async () => ({ by: "node" }),
};
