// reportableError: whatever a handler threw, an error text the service accepts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { reportableError } from "../../dist/client.js";

test("an error text is never empty, holds no NUL, and fits the contract", () => {
  assert.equal(reportableError("  "), "failed without a message");
  assert.equal(reportableError("a\u0000b"), "a\\x00b");
  assert.equal(reportableError("x".repeat(20_000)).length, 10_000);
});
