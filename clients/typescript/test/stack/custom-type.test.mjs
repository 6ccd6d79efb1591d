// Against a running Jobdeck (`npm run test:stack`, or from the Python suite's fixtures): a
// custom type registered through the producer API, its jobs run by a Runner in this process.
// WORKER_SERVICE_URL, PRODUCER_API_URL, JOBDECK_TOKEN (a runner token) and
// JOBDECK_ADMIN_TOKEN (an admin token, to register the type) say where and who.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { NonRetryableError, Runner } from "../../dist/index.js";

const NEEDED = ["WORKER_SERVICE_URL", "PRODUCER_API_URL", "JOBDECK_TOKEN", "JOBDECK_ADMIN_TOKEN"];
const missing = NEEDED.filter((name) => !process.env[name]);
if (missing.length > 0) throw new Error(`set ${missing.join(", ")} to test against a running stack`);
const env = Object.fromEntries(NEEDED.map((name) => [name, process.env[name]]));

async function api(method, path, body) {
  const response = await fetch(env.PRODUCER_API_URL.replace(/\/+$/, "") + path, {
    method,
    headers: { authorization: `Bearer ${env.JOBDECK_ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function finished(id) {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const job = await api("GET", `/jobs/${id}`);
    if (job.status === "completed" || job.status === "failed") return job;
    await sleep(50);
  }
  throw new Error(`job ${id} did not finish within 20 s`);
}

test("a Runner in this process owns a custom type: results, retries and failures", async () => {
  const type = `ts_stack_${randomBytes(4).toString("hex")}`;
  await api("PUT", `/job-types/${type}`, {
    description: "the TypeScript runner's stack test",
    schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
  });
  const { jobs } = await api("POST", "/jobs/batch", {
    jobs: [0, 1, 2, 3].map((n) => ({ type, payload: { n }, max_attempts: 2 })),
  });
  const runner = new Runner({
    handlers: {
      // n = 0, 1: done; 2: fails once, then done; 3: cannot ever work.
      [type]: async (job) => {
        const { n } = job.payload;
        if (n === 3) throw new NonRetryableError(`job ${n} cannot work`);
        if (n === 2 && job.attempt === 1) throw new Error("not yet");
        return { doubled: n * 2, attempt: job.attempt };
      },
    },
    token: env.JOBDECK_TOKEN,
    workerServiceUrl: env.WORKER_SERVICE_URL,
    concurrency: 2,
    heartbeatIntervalSeconds: 0.5,
    logger: { log() {} },
  });
  const running = runner.run();
  try {
    const [zero, one, two, three] = await Promise.all(jobs.map((job) => finished(job.id)));
    assert.deepEqual(zero.result, { doubled: 0, attempt: 1 });
    assert.deepEqual(one.result, { doubled: 2, attempt: 1 });
    assert.deepEqual(
      [two.status, two.result, two.error],
      ["completed", { doubled: 4, attempt: 2 }, "Error: not yet"],
    );
    assert.deepEqual([three.status, three.attempts, three.error], ["failed", 1, "job 3 cannot work"]);
  } finally {
    runner.stop();
    await running;
  }
  assert.equal(runner.processed, 5);
});
