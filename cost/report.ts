/**
 * The ledger in US dollars, for `formations cost --json` and `sessions`: every amount as a USD
 * number exact to the micro-dollar (the ledger's own unit), so 0.30756 means $0.307560.
 */
import type { ChargedAs, Ledger } from "./ledger.js";
import { microsToUsd } from "./money.js";

export interface LedgerJson {
  now: string;
  accruedUsd: number;
  burnUsdPerHour: number;
  byState: Record<ChargedAs, number>;
  machines: { machine: string; state: string; spot: boolean; source: string; accruedUsd: number; burnUsdPerHour: number; byState: Record<ChargedAs, number> }[];
}

const usdByState = (b: Record<ChargedAs, number>): Record<ChargedAs, number> => ({
  running: microsToUsd(b.running),
  stopped: microsToUsd(b.stopped),
  hibernated: microsToUsd(b.hibernated),
});

export function ledgerJson(l: Ledger): LedgerJson {
  return {
    now: l.now,
    accruedUsd: microsToUsd(l.totalMicros),
    burnUsdPerHour: microsToUsd(l.burnPerHourMicros),
    byState: usdByState(l.byState),
    machines: l.machines.map((m) => ({
      machine: m.machine,
      state: m.state,
      spot: m.spot,
      source: m.source,
      accruedUsd: microsToUsd(m.accruedMicros),
      burnUsdPerHour: microsToUsd(m.burnPerHourMicros),
      byState: usdByState(m.byState),
    })),
  };
}
