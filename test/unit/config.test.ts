import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config";

describe("configuration", () => {
  it("applies defaults when nothing is set", () => {
    const config = loadConfig({}, "/srv/app");
    expect(config.HOST).toBe("127.0.0.1");
    expect(config.PORT).toBe(3000);
    expect(config.LOOPSCOPE_PG_PORT).toBe(54329);
    expect(config.dataDir).toBe("/srv/app/.data");
    expect(config.LOOPSCOPE_SCRAPE_INTERVAL).toBe(5_000);
    expect(config.LOOPSCOPE_RETENTION).toBe(7 * 86_400_000);
  });

  it("names every bad variable with its value and what is expected", () => {
    try {
      loadConfig({ PORT: "abc", DATABASE_URL: "mysql://x", LOOPSCOPE_SOURCE: "mars" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/PORT="abc" is invalid/);
      expect(message).toMatch(/DATABASE_URL="mysql:\/\/x" is invalid: expected a postgresql:\/\/ connection URL/);
      expect(message).toMatch(/LOOPSCOPE_SOURCE="mars" is invalid/);
    }
  });

  it("reads durations in Prometheus's syntax, compound ones and 0s included", () => {
    const config = loadConfig({ LOOPSCOPE_SCRAPE_INTERVAL: "500ms", LOOPSCOPE_RETENTION: "1w3d", LOOPSCOPE_WATCH_RESYNC: "0s", LOOPSCOPE_SESSION_TTL: "1h30m" });
    expect(config).toMatchObject({ LOOPSCOPE_SCRAPE_INTERVAL: 500, LOOPSCOPE_RETENTION: 10 * 86_400_000, LOOPSCOPE_WATCH_RESYNC: 0, LOOPSCOPE_SESSION_TTL: 5_400_000 });
    for (const bad of ["10 minutes", "1.5m", "30m1h", "-5s"]) {
      expect(() => loadConfig({ LOOPSCOPE_RETENTION: bad })).toThrow(`LOOPSCOPE_RETENTION="${bad}" is invalid: expected a duration such as "90s", "5m", "1h30m" or "0s"`);
    }
  });
});
