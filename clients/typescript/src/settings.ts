/** The runner's settings from the environment, named as the Python runner names them. */

import { ConfigurationError } from "./errors.js";

export interface RunnerSettings {
  workerServiceUrl: string;
  token: string;
  heartbeatIntervalSeconds: number;
  shutdownGraceSeconds: number;
}

export const DEFAULT_SETTINGS = {
  workerServiceUrl: "http://localhost:3000",
  heartbeatIntervalSeconds: 10,
  shutdownGraceSeconds: 30,
} as const;

type Environment = Record<string, string | undefined>;

/** Reads WORKER_SERVICE_URL, JOBDECK_TOKEN, HEARTBEAT_INTERVAL_SECONDS, SHUTDOWN_GRACE_SECONDS. */
export function settingsFromEnvironment(env: Environment = process.env): RunnerSettings {
  const token = env.JOBDECK_TOKEN?.trim();
  if (!token) {
    throw new ConfigurationError(
      "JOBDECK_TOKEN is not set: a runner needs a runner token" +
        " (`jobdeck tokens create --role runner --name NAME`)",
    );
  }
  return {
    workerServiceUrl: workerServiceUrl(env.WORKER_SERVICE_URL),
    token,
    heartbeatIntervalSeconds: seconds(
      env,
      "HEARTBEAT_INTERVAL_SECONDS",
      DEFAULT_SETTINGS.heartbeatIntervalSeconds,
      false,
    ),
    shutdownGraceSeconds: seconds(env, "SHUTDOWN_GRACE_SECONDS", DEFAULT_SETTINGS.shutdownGraceSeconds, true),
  };
}

function workerServiceUrl(raw: string | undefined): string {
  const url = raw?.trim() || DEFAULT_SETTINGS.workerServiceUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`WORKER_SERVICE_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigurationError(`WORKER_SERVICE_URL must be http(s): ${JSON.stringify(url)}`);
  }
  return url.replace(/\/+$/, "");
}

function seconds(env: Environment, name: string, fallback: number, zeroAllowed: boolean): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    const bound = zeroAllowed ? "0 or more" : "more than 0";
    throw new ConfigurationError(`${name} must be a number of seconds, ${bound}: ${JSON.stringify(raw)}`);
  }
  return value;
}
