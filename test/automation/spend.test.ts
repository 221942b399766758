import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../automation/record.js";
import { costSoFar } from "../../automation/spend.js";

const e = (at: string, action: string, more: Partial<JournalEntry> = {}): JournalEntry => ({ at: `2026-01-01T${at}:00.000Z`, actor: "a", action, result: "ok", ...more });
const now = new Date("2026-01-01T10:00:00.000Z");
const prices = { "machine-1": 1, "machine-2": 2 };

describe("cost so far from the journal", () => {
  it("accrues each machine from the update that created it", () => {
    expect(costSoFar([e("08:00", "up", { added: ["machine-1", "machine-2"] })], prices, now)).toEqual({ usd: 6, since: "2026-01-01T08:00:00.000Z" });
  });

  it("stops accruing while a machine is stopped and resumes when started", () => {
    const journal = [e("06:00", "up", { added: ["machine-1", "machine-2"] }), e("07:00", "stop", { machine: "machine-2", to: "stopped" }), e("09:00", "start", { machine: "machine-2", to: "running" })];
    // machine-1: 4 h x $1; machine-2: 1 h + 1 h x $2
    expect(costSoFar(journal, prices, now).usd).toBe(8);
  });

  it("counts drift and session-wide actions, ignores failed operations, ends at destroy", () => {
    const journal = [
      e("06:00", "up", { added: ["machine-1"] }),
      e("06:30", "up", { added: ["machine-2"], result: "failed" }),
      e("07:00", "up", { added: ["machine-2"] }),
      e("08:00", "drift", { machine: "machine-1", to: "stopped", result: "recorded" }),
      e("08:30", "hibernate", { to: "hibernated" }),
      e("09:00", "destroy"),
    ];
    // machine-1: 06:00-08:00 = $2; machine-2: 07:00-08:30 = 1.5 h x $2 = $3
    expect(costSoFar(journal, prices, now).usd).toBe(5);
  });

  it("is zero with no successful update", () => {
    expect(costSoFar([e("06:00", "up", { result: "failed" })], prices, now)).toEqual({ usd: 0 });
  });

  it("an up entry without `added` (an older record) adds every priced machine not seen yet", () => {
    expect(costSoFar([e("09:00", "up")], prices, now).usd).toBe(3);
  });
});
