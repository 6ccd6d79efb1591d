/** jobdeck-runner: run Jobdeck jobs in Node.js. */

export { Runner, type RunnerOptions } from "./runner.js";
export type { Handler, Handlers, JobContext } from "./execute.js";
export { NonRetryableError, ConfigurationError, TokenRefused, WorkerServiceUnavailable } from "./errors.js";
export { settingsFromEnvironment, type RunnerSettings } from "./settings.js";
export { loadHandlers } from "./handlers.js";
export type { ClaimedJob, JobResult } from "./protocol.js";
