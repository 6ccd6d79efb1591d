/** One line per event on standard error: text, or JSON objects with LOG_FORMAT=json. */

export type Level = "debug" | "info" | "warning" | "error";
export type Fields = Record<string, string | number | undefined>;

export interface Logger {
  log(level: Level, message: string, fields?: Fields): void;
}

const RANK: Record<Level, number> = { debug: 10, info: 20, warning: 30, error: 40 };

/** A logger to standard error; LOG_LEVEL (default INFO) and LOG_FORMAT as the services read them. */
export function stderrLogger(env: Record<string, string | undefined> = process.env): Logger {
  const wanted = (env.LOG_LEVEL ?? "info").toLowerCase();
  const threshold = RANK[(wanted === "warn" ? "warning" : wanted) as Level] ?? RANK.info;
  const json = env.LOG_FORMAT?.toLowerCase() === "json";
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < threshold) return;
      const time = new Date().toISOString();
      if (json) {
        const line = { time, level, service: "runner-ts", message, ...fields };
        process.stderr.write(JSON.stringify(line) + "\n");
      } else {
        process.stderr.write(`${time} jobdeck-runner ${level.toUpperCase()} ${message}\n`);
      }
    },
  };
}
