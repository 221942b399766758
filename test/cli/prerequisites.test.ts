/**
 * Layer 1 (CLI over a stub Sessions; no engine, no cloud): a session verb that meets a missing
 * passphrase says at once what else is missing (the Pulumi CLI) before offering a fix, and `up`
 * failing for want of credentials prints what `doctor` finds for the formation's provider.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withSessions } from "../../cli/session-runtime.js";
import { upCommand } from "../../cli/up.js";
import { isCredentialsFailure } from "../../cli/explain-credentials.js";
import { MissingPassphraseError, OperationFailedError } from "../../automation/session/errors.js";
import type { Sessions } from "../../automation/sessions.js";

let dir: string;
let lines: string[];
const io = () => ({ out: (s: string) => lines.push(s), err: (s: string) => lines.push(s), json: false, color: false }) as never;
const stub = (fail: () => Promise<never>) => ({ cancel: () => [], close: async () => {}, up: fail }) as unknown as Sessions;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clusters-prereq-"));
  lines = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("every missing prerequisite at once", () => {
  it("a missing passphrase also names the missing Pulumi CLI, before any question", async () => {
    const err = new MissingPassphraseError("PULUMI_CONFIG_PASSPHRASE is not set (nor PULUMI_CONFIG_PASSPHRASE_FILE)", false, dir);
    const asked: string[] = [];
    const code = await withSessions(
      {},
      io(),
      {
        makeSessions: () => stub(async () => Promise.reject(err)),
        otherMissing: async () => ["the Pulumi CLI: not found; install it"],
        interactive: true,
        ask: async (q) => (asked.push(q), "n"),
        live: false,
      },
      async (s) => {
        await s.up("x.yaml");
        return 0;
      },
    );
    expect(code).toBe(2);
    expect(lines[0]).toBe(
      "formations: missing prerequisites ('formations doctor' checks them all):\n  - the secrets passphrase (below)\n  - the Pulumi CLI: not found; install it",
    );
    expect(lines[1]).toMatch(/^formations: no secrets passphrase: PULUMI_CONFIG_PASSPHRASE is not set/);
    expect(asked).toEqual([]);
  });

  it("nothing else missing: only the passphrase error", async () => {
    const err = new MissingPassphraseError("PULUMI_CONFIG_PASSPHRASE is not set (nor PULUMI_CONFIG_PASSPHRASE_FILE)", false, dir);
    await withSessions({}, io(), { makeSessions: () => stub(async () => Promise.reject(err)), otherMissing: async () => [], live: false }, async (s) => {
      await s.up("x.yaml");
      return 0;
    });
    expect(lines.join("\n")).not.toContain("missing prerequisites");
  });
});

describe("up explains a credentials failure with doctor", () => {
  it("prints what doctor finds for the formation's provider, then the error", async () => {
    const file = join(dir, "m.yaml");
    await writeFile(
      file,
      "apiVersion: formations/v1\nkind: Machine\nmetadata:\n  name: m\ncloud:\n  provider: aws\n  region: eu-west-1\nspec:\n  machine: {}\n",
    );
    const err = new OperationFailedError("m", "up", "configuring the AWS provider: No valid credential sources found");
    const asked: string[] = [];
    const code = await upCommand(file, { yes: true }, io(), {
      makeSessions: () => stub(async () => Promise.reject(err)),
      live: false,
      explainCredentials: async (p) => (asked.push(p), "MISSING  credentials aws  not found"),
    });
    expect(code).toBe(3);
    expect(asked).toEqual(["aws"]);
    expect(lines[0]).toBe(
      "formations: this looks like a credentials problem; what 'formations doctor --provider aws' finds:\nMISSING  credentials aws  not found",
    );
    expect(lines[1]).toBe("formations: up of session 'm' failed: configuring the AWS provider: No valid credential sources found");
  });

  it("other failures are not explained", async () => {
    expect(isCredentialsFailure(new Error("quota exceeded for resource 'CPUS'"))).toBe(false);
    expect(isCredentialsFailure(new Error("google: could not find default credentials"))).toBe(true);
    expect(isCredentialsFailure(new Error("AADSTS700016: Application not found"))).toBe(true);
  });
});
