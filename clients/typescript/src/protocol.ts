/**
 * The worker protocol's shapes, from the types generated off the worker service's
 * /openapi.json (generated/worker-protocol.ts; `make ts-protocol` regenerates them).
 */

import type { components, operations } from "./generated/worker-protocol.js";

type Schemas = components["schemas"];

export type ClaimOptions = NonNullable<operations["claim"]["parameters"]["query"]>;
export type ClaimedJobs = Schemas["ClaimedJobs"];
export type JobPublic = Schemas["JobPublic"];
/**
 * A claimed job: what a runner needs of it, and, as the claim answers the whole job, its lease
 * (`updated_at` is the claim's time on the service's clock, `locked_until` the lease's end).
 */
export type ClaimedJob = Schemas["ClaimedJob"] & Partial<Pick<JobPublic, "locked_until" | "updated_at">>;
export type CompletedJob = Schemas["CompletedJob"];
export type CompleteBatchBody = Schemas["CompleteBatchBody"];
export type CompleteBatchAnswer = Schemas["CompleteBatchAnswer"];
export type FailBody = Schemas["FailBody"];
export type HeartbeatBody = Schemas["HeartbeatBody"];
export type HeartbeatAnswer = Schemas["HeartbeatAnswer"];
/** A job's result: a JSON object. */
export type JobResult = NonNullable<CompletedJob["result"]>;

/** A job type's name, as the contract spells it (^[a-z][a-z0-9_]{0,62}$). */
export function isJobTypeName(name: string): boolean {
  return /^[a-z][a-z0-9_]{0,62}$/.test(name);
}
