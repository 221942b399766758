/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkSessionName, labelsToTags, matchesSelector, parseSelector, tagsToLabels, isOurTag } from "../../../automation/session/naming.js";
import { exitCodeOf, InvalidSessionNameError } from "../../../automation/session/errors.js";

describe("session names", () => {
  it.each(["hpc-dev", "a", "a1", "lab-2026-spring", "x".repeat(40)])("accepts %s", (name) => {
    expect(checkSessionName(name)).toBe(name);
  });

  it.each(["", "Hpc", "1lab", "lab-", "lab_1", "x".repeat(41), "lab dev", "../etc"])("refuses %j with a usage error (exit 2)", (name) => {
    let thrown: unknown;
    try {
      checkSessionName(name);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidSessionNameError);
    expect(exitCodeOf(thrown)).toBe(2);
    expect((thrown as Error).message).toContain("lower-case letters, digits and dashes");
  });
});

describe("labels as stack tags", () => {
  it("keeps short keys readable as label:<key>", () => {
    expect(labelsToTags({ team: "bio", course: "gen101" })).toEqual({ "label:team": "bio", "label:course": "gen101" });
  });

  it("hashes keys Pulumi tag names cannot hold, keeping key and value in the tag's value", () => {
    const tags = labelsToTags({ "owner@dept=cs+ai": "x", ["k" + "e".repeat(50)]: "y" });
    for (const name of Object.keys(tags)) expect(name).toMatch(/^[A-Za-z0-9_.:-]{1,40}$/);
    expect(tagsToLabels(tags)).toEqual({ "owner@dept=cs+ai": "x", ["k" + "e".repeat(50)]: "y" });
  });

  it("round-trips any labels the schema allows", () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:=+@-]{0,62}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9_.:=+@-]{0,63}$/);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 40 }), (labels) => {
        const tags = labelsToTags(labels);
        expect(Object.keys(tags).every((n) => /^[A-Za-z0-9_.:-]{1,40}$/.test(n) && isOurTag(n))).toBe(true);
        expect(Object.values(tags).every((v) => v.length <= 256)).toBe(true);
        expect(tagsToLabels(tags)).toEqual({ ...labels });
      }),
    );
  });

  it("ignores tags it did not write", () => {
    expect(tagsToLabels({ "pulumi:project": "formations", "label.h.0000": "not json", "formations:kind": "Pool" })).toEqual({});
  });
});

describe("label selectors", () => {
  it("parses k=v pairs (the value may hold '=')", () => {
    expect(parseSelector(["team=bio", "expr=a=b"])).toEqual({ team: "bio", expr: "a=b" });
  });

  it.each(["team", "=bio", ""])("refuses %j with a usage error", (pair) => {
    expect(() => parseSelector([pair])).toThrow(/use key=value/);
    try {
      parseSelector([pair]);
    } catch (err) {
      expect(exitCodeOf(err)).toBe(2);
    }
  });

  it("matches only when every pair matches", () => {
    const labels = { team: "bio", course: "gen101" };
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector(labels, { team: "bio" })).toBe(true);
    expect(matchesSelector(labels, { team: "bio", course: "gen102" })).toBe(false);
    expect(matchesSelector(labels, { term: "" })).toBe(false);
  });
});
