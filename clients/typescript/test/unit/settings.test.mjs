// settingsFromEnvironment: defaults, and a refusal naming the variable at fault.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ConfigurationError, settingsFromEnvironment } from "../../dist/index.js";

test("without JOBDECK_TOKEN the runner refuses, naming it", () => {
  assert.throws(
    () => settingsFromEnvironment({}),
    (error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /^JOBDECK_TOKEN is not set/);
      return true;
    },
  );
});

test("defaults are the Python runner's", () => {
  assert.deepEqual(settingsFromEnvironment({ JOBDECK_TOKEN: "t" }), {
    workerServiceUrl: "http://localhost:3000",
    token: "t",
    heartbeatIntervalSeconds: 10,
    shutdownGraceSeconds: 30,
  });
});

test("settings are read from the environment, the URL without its trailing slash", () => {
  const settings = settingsFromEnvironment({
    JOBDECK_TOKEN: "t",
    WORKER_SERVICE_URL: "https://worker.example:3000/",
    HEARTBEAT_INTERVAL_SECONDS: "0.5",
    SHUTDOWN_GRACE_SECONDS: "0",
  });
  assert.equal(settings.workerServiceUrl, "https://worker.example:3000");
  assert.equal(settings.heartbeatIntervalSeconds, 0.5);
  assert.equal(settings.shutdownGraceSeconds, 0);
});

test("a wrong setting is refused, naming it", () => {
  const cases = {
    WORKER_SERVICE_URL: ["not a url", "ftp://worker"],
    HEARTBEAT_INTERVAL_SECONDS: ["0", "-1", "soon"],
    SHUTDOWN_GRACE_SECONDS: ["-1", "NaN"],
  };
  for (const [name, values] of Object.entries(cases)) {
    for (const value of values) {
      assert.throws(
        () => settingsFromEnvironment({ JOBDECK_TOKEN: "t", [name]: value }),
        (error) => error instanceof ConfigurationError && error.message.startsWith(`${name} `),
        `${name}=${value}`,
      );
    }
  }
});
