/** Loading a handlers module: its default export (or `handlers`) maps job types to async functions. */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { ConfigurationError } from "./errors.js";
import type { Handler, Handlers } from "./execute.js";
import { isJobTypeName } from "./protocol.js";

/** The handlers of each module (a file, relative to the working directory, or a package name);
 * a type named twice takes the later module's handler. */
export async function loadHandlers(modules: string[]): Promise<Handlers> {
  const all: Record<string, Handler> = {};
  for (const name of modules) Object.assign(all, await loadOne(name));
  return all;
}

async function loadOne(name: string): Promise<Handlers> {
  // A file that exists is that file (`handlers.mjs` as much as `./handlers.mjs`); any other
  // name is a package's, as `import` would resolve it.
  const specifier = existsSync(resolve(name)) ? pathToFileURL(resolve(name)).href : name;
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigurationError(
      `handlers module ${name} cannot be imported: ${error instanceof Error ? error.message : error}`,
    );
  }
  const handlers = module.default ?? module.handlers;
  if (typeof handlers !== "object" || handlers === null || Object.keys(handlers).length === 0) {
    throw new ConfigurationError(
      `handlers module ${name} exports no handlers: export default { job_type: async (job) => result }`,
    );
  }
  for (const [type, handler] of Object.entries(handlers)) {
    if (!isJobTypeName(type)) {
      throw new ConfigurationError(`handlers module ${name}: ${JSON.stringify(type)} is not a job type name`);
    }
    if (typeof handler !== "function") {
      throw new ConfigurationError(`handlers module ${name}: the handler of ${type} is not a function`);
    }
  }
  return handlers as Handlers;
}
