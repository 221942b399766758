/**
 * Test layer: unit (pure code, and the session layer on FakeEngine, the unit-test double; none of
 * the five layers). How many resource operations `up` asks the engine to run at once, and that an
 * operation holding the backend's session lock writes its record without reading it back. The
 * real engine runs both in every e2e test (test/e2e), and `npm run bench` measures their effect.
 */
import { afterEach, describe, expect, it } from "vitest";
import { UP_PARALLEL_MAX, upParallelism } from "../../../automation/session/engine-operations.js";
import { harness, poolYaml, type Harness } from "../helpers.js";

describe("upParallelism", () => {
  it("never goes below Pulumi's default of 4 per CPU", () => {
    expect(upParallelism(1, {}, 2)).toBe(10);
    expect(upParallelism(1, {}, 16)).toBe(64);
    expect(upParallelism(0, {}, 4)).toBe(16);
  });

  it("runs every machine's resources at once: two per machine plus the session's own", () => {
    expect(upParallelism(10, {}, 2)).toBe(28);
    expect(upParallelism(20, {}, 2)).toBe(48);
  });

  it(`is capped at ${UP_PARALLEL_MAX} however large the formation`, () => {
    expect(upParallelism(1000, {}, 2)).toBe(UP_PARALLEL_MAX);
    expect(upParallelism(1000, {}, 32)).toBe(128);
  });

  it("leaves it to PULUMI_PARALLEL when the user set it", () => {
    expect(upParallelism(10, { PULUMI_PARALLEL: "3" }, 2)).toBeUndefined();
    expect(upParallelism(10, { PULUMI_PARALLEL: " " }, 2)).toBe(28);
  });
});

describe("up through the session layer (FakeEngine)", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.cleanup());

  it("asks the engine for the parallelism of its machine count", async () => {
    h = await harness();
    const file = await h.file("pool.yaml", poolYaml({ count: 10 }));
    await h.sessions.up(file, { session: "p10" });
    expect(h.engine.lastUp?.parallel).toBe(upParallelism(10));
  });

  it("holding the file backend's session lock, the record written after up is not read back", async () => {
    h = await harness();
    const file = await h.file("pool.yaml", poolYaml({ count: 2 }));
    await h.sessions.up(file, { session: "p2" });
    const after = h.engine.calls.slice(h.engine.calls.lastIndexOf("up:p2"));
    expect(after.filter((c) => c === "import:p2")).toHaveLength(1);
    expect(after.slice(after.indexOf("import:p2") + 1)).not.toContain("export:p2");
  });

  it("without the session lock (backendLock: false), the import is read back as before", async () => {
    h = await harness({ backendLock: false });
    const file = await h.file("pool.yaml", poolYaml({ count: 2 }));
    await h.sessions.up(file, { session: "p2" });
    const after = h.engine.calls.slice(h.engine.calls.lastIndexOf("up:p2"));
    expect(after.slice(after.indexOf("import:p2") + 1)).toContain("export:p2");
  });
});
