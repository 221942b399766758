/**
 * Layer 2 (the library outside and under Pulumi's mock runtime): compileFormation called outside
 * a Pulumi program says it must run inside one (or that `plan` shows the formation without
 * Pulumi), instead of failing later with an unrelated serialization error.
 */
import { describe, expect, it } from "vitest";
import { compileFormation, loadFormationText } from "../../index.js";
import { UserError } from "../../user-error.js";

const text = "apiVersion: formations/v1\nkind: Machine\nmetadata:\n  name: m\ncloud:\n  provider: docker\nspec:\n  machine: {}\n";

describe("compileFormation outside a Pulumi program", () => {
  it("is a usage error naming the fix, before any resource", async () => {
    const err = await compileFormation(loadFormationText(text, "m.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toBe(
      "compileFormation must run inside a Pulumi program (a stack's program run by `pulumi up` or the Automation API, or Pulumi's mock runtime): it creates Pulumi resources",
    );
    expect((err as UserError).hint).toMatch(/use `formations plan <file>` or planSession\(\)/);
  });

  it("under the mock runtime it compiles", async () => {
    const pulumi = await import("@pulumi/pulumi");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "p", "s", true);
    const c = await compileFormation(loadFormationText(text, "m.yaml"));
    expect(c).toBeDefined();
  });
});
