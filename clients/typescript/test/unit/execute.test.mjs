// execute(): what a handler's return, throw or slowness becomes; the lease a claim gives.
import assert from "node:assert/strict";
import { test } from "node:test";

import { NonRetryableError } from "../../dist/index.js";
import { execute } from "../../dist/execute.js";
import { HeldJob } from "../../dist/lease.js";

function claimed(overrides = {}) {
  const job = {
    id: "5d0f6c2e-3b1a-4f7e-9c5d-2a8b7e6f1c34",
    type: "resize_image",
    attempts: 2,
    payload: { width: 320 },
    timeout_seconds: null,
    updated_at: "2026-11-24T09:30:00Z",
    locked_until: "2026-11-24T09:30:05Z",
    ...overrides,
  };
  return new HeldJob(job, performance.now());
}

test("a handler's object becomes the result; it is given the job and its attempt", async () => {
  const outcome = await execute(claimed(), async (job) => ({ seen: job.payload, attempt: job.attempt }));
  assert.deepEqual(outcome, { kind: "completed", result: { seen: { width: 320 }, attempt: 2 } });
});

test("a handler that returns nothing completes with no result", async () => {
  assert.deepEqual(await execute(claimed(), async () => {}), { kind: "completed", result: null });
});

test("a thrown error fails the attempt with its name and message; retryable", async () => {
  const outcome = await execute(claimed(), async () => {
    throw new RangeError("width out of range");
  });
  assert.deepEqual(outcome, { kind: "failed", error: "RangeError: width out of range", retryable: true });
});

test("a NonRetryableError fails the job for good with its message", async () => {
  const outcome = await execute(claimed(), async () => {
    throw new NonRetryableError("no such image");
  });
  assert.deepEqual(outcome, { kind: "failed", error: "no such image", retryable: false });
});

test("a type this runner has no handler for fails for good, naming it", async () => {
  const outcome = await execute(claimed(), undefined);
  assert.equal(outcome.retryable, false);
  assert.match(outcome.error, /^no handler for type resize_image on this runner/);
});

test("results PostgreSQL cannot store fail for good, saying why", async () => {
  const circular = {};
  circular.self = circular;
  const cases = [
    [[1, 2], /a JSON object, not an array/],
    ["done", /a JSON object, not a string/],
    [{ text: "a\u0000b" }, /NUL character/],
    [{ big: "x".repeat(1024 * 1024) }, /bytes of JSON, over 1048576/],
    [circular, /circular/i],
  ];
  for (const [result, why] of cases) {
    const outcome = await execute(claimed(), async () => result);
    assert.equal(outcome.kind, "failed");
    assert.equal(outcome.retryable, false);
    assert.match(outcome.error, why);
  }
});

test("the claimed job's timeout stops the handler and fails the attempt, retryable", async () => {
  let aborted = false;
  const outcome = await execute(claimed({ timeout_seconds: 0.05 }), (job) => {
    job.signal.addEventListener("abort", () => (aborted = true));
    return new Promise(() => {}); // never settles: the runner gives up on it regardless
  });
  assert.deepEqual(outcome, { kind: "failed", error: "timed out after 0.05 s", retryable: true });
  assert.ok(aborted, "the handler's signal aborted");
});

test("a job whose lease was lost is abandoned: nothing to report", async () => {
  const held = claimed();
  const outcome = execute(held, () => new Promise(() => {}));
  held.lost();
  assert.deepEqual(await outcome, { kind: "abandoned" });
});

test("a job stopped by a shutdown is failed back, retryable", async () => {
  const held = claimed();
  const outcome = execute(held, () => new Promise(() => {}));
  held.stop("shutting down");
  assert.deepEqual(await outcome, {
    kind: "failed",
    error: "runner shut down before finishing",
    retryable: true,
  });
});

test("the lease's length comes from the claim, on the service's clock", () => {
  const held = new HeldJob(claimed().job, 1000);
  assert.equal(held.leaseMs, 5000);
  assert.equal(held.leaseSurelyGone(5999), false);
  assert.equal(held.leaseSurelyGone(6001), true);
  held.renewed(3000);
  assert.equal(held.leaseSurelyGone(6001), false);
  assert.equal(held.leaseLeftMs(7000), 1000);
  held.lost();
  assert.equal(held.leaseSurelyGone(3000), true);
});
