#!/usr/bin/env node
/**
 * jobdeck-runner --handlers ./handlers.mjs [--concurrency 4] [--batch-size 1] [--types a,b]
 * [--worker-id NAME]: runs until SIGTERM or Ctrl-C, then drains and exits 0.
 * Settings from the environment: WORKER_SERVICE_URL, JOBDECK_TOKEN, HEARTBEAT_INTERVAL_SECONDS,
 * SHUTDOWN_GRACE_SECONDS, LOG_LEVEL, LOG_FORMAT.
 */

import { parseArgs } from "node:util";

import { ConfigurationError } from "./errors.js";
import { loadHandlers } from "./handlers.js";
import { Runner } from "./runner.js";
import { settingsFromEnvironment } from "./settings.js";

const USAGE = `usage: jobdeck-runner --handlers MODULE [--handlers MODULE ...] [--concurrency N]
                      [--batch-size N] [--types a,b] [--worker-id NAME]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      handlers: { type: "string", multiple: true },
      concurrency: { type: "string", default: "4" },
      "batch-size": { type: "string", default: "1" },
      types: { type: "string" },
      "worker-id": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const settings = settingsFromEnvironment();
  const modules = (values.handlers ?? []).flatMap(commaSeparated);
  if (modules.length === 0) throw new ConfigurationError(`--handlers is required\n${USAGE}`);
  const runner = new Runner({
    handlers: await loadHandlers(modules),
    token: settings.token,
    workerServiceUrl: settings.workerServiceUrl,
    heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
    shutdownGraceSeconds: settings.shutdownGraceSeconds,
    concurrency: wholeNumber("--concurrency", values.concurrency),
    batchSize: wholeNumber("--batch-size", values["batch-size"]),
    ...(values.types === undefined ? {} : { types: commaSeparated(values.types) }),
    ...(values["worker-id"] === undefined ? {} : { workerId: values["worker-id"] }),
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => runner.stop());
  await runner.run();
  if (runner.refused) {
    process.stderr.write(`Stopped: ${runner.refused.message}\n`);
    return 1;
  }
  return 0;
}

function commaSeparated(raw: string): string[] {
  return raw
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

function wholeNumber(option: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value))
    throw new ConfigurationError(`${option} must be a whole number: ${JSON.stringify(raw)}`);
  return value;
}

main().then(
  (code) => {
    // Now, not when the event loop empties: a handler the runner gave up on (a lost lease, a
    // shutdown) may still hold a timer or a socket, and its job is someone else's by now.
    process.exit(code);
  },
  (error: unknown) => {
    if (
      error instanceof ConfigurationError ||
      (error instanceof Error && error.name === "TypeError" && "code" in error)
    ) {
      // A setting or an option is wrong: one line naming it, no stack.
      process.stderr.write(`Not started: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `jobdeck-runner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
