import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseDuration } from "../../server/config";

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

  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10m")).toBe(600_000);
    expect(() => parseDuration("10 minutes")).toThrow(/not a duration/);
  });
});
