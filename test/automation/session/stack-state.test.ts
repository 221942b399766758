/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * stack-state.ts `outputsOf`: a stack's outputs read from one `pulumi stack export --show-secrets`
 * (the shape of Pulumi's state, secrets as signature envelopes with their plaintext), as the
 * Automation API's two `stack output` listings give them. The real engine's agreement is checked in
 * test/e2e/sessions.e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../../automation/session/engine.js";
import { outputsOf } from "../../../automation/session/stack-state.js";

const SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const secret = (v: unknown) => ({ ...SIG, plaintext: JSON.stringify(v) });

function deployment(outputs: Record<string, unknown> | undefined): Deployment {
  return {
    version: 3,
    deployment: {
      resources: [
        { urn: "urn:pulumi:s::formations::pulumi:pulumi:Stack::formations-s", type: "pulumi:pulumi:Stack", ...(outputs ? { outputs } : {}) },
        {
          urn: "urn:pulumi:s::formations::docker:index/container:Container::c",
          type: "docker:index/container:Container",
          outputs: { name: "not a stack output" },
        },
      ],
    },
  } as Deployment;
}

describe("outputsOf", () => {
  it("gives each root output's value, secret when the output as a whole is a secret", () => {
    const d = deployment({ machines: [{ name: "machine-1", cloudId: "abc" }], formationsText: secret("kind: Pool\n"), count: 3 });
    expect(outputsOf(d)).toEqual({
      machines: { value: [{ name: "machine-1", cloudId: "abc" }], secret: false },
      formationsText: { value: "kind: Pool\n", secret: true },
      count: { value: 3, secret: false },
    });
  });

  it("reveals secrets nested inside a plain output, which stays plain as a whole (as the masked listing shows it)", () => {
    const d = deployment({ machines: [{ name: "m", password: secret("hunter2"), deep: [secret({ a: secret(1) })] }] });
    expect(outputsOf(d).machines).toEqual({ value: [{ name: "m", password: "hunter2", deep: [{ a: 1 }] }], secret: false });
  });

  it("a stack never deployed has no outputs", () => {
    expect(outputsOf(deployment(undefined))).toEqual({});
    expect(outputsOf({ version: 3, deployment: {} })).toEqual({});
  });

  it("an export made without --show-secrets is refused, never read as a value", () => {
    const d = deployment({ formationsText: { ...SIG, ciphertext: "v1:abc" } });
    expect(() => outputsOf(d)).toThrow(/encrypted secret: export it with --show-secrets/);
  });

  it("an object that only looks like an envelope (another value under the signature key) is a plain value", () => {
    const d = deployment({ x: { "4dabf18193072939515e22adb298388d": "something else", plaintext: '"no"' } });
    expect(outputsOf(d).x).toEqual({ value: { "4dabf18193072939515e22adb298388d": "something else", plaintext: '"no"' }, secret: false });
  });
});
