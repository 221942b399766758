/**
 * The ledger's input: what happened to each machine of a session, and when. Built from the
 * session's journal by `eventsFromJournal` (journal.ts), or by hand in tests.
 */

import type { MachineState } from "../plan/types.js";

/** A machine's normalised state (plan/types.ts), as the lifecycle actions report it and the ledger charges it. */
export type { MachineState };

export const MACHINE_STATES: readonly MachineState[] = ["pending", "running", "stopped", "hibernated", "terminated", "interrupted"];

/** The price of a machine as captured when it was launched. */
export interface LaunchPrice {
  /** Compute (instance) USD per hour, charged while pending or running; spot price for spot machines. */
  computeUsdPerHour: number;
  /** Root disk USD per hour, charged until the machine is terminated. */
  diskUsdPerHour: number;
  /** Public address USD per hour (a reserved IPv4 bills while the machine exists), if any. */
  addressUsdPerHour?: number;
  /** Where the price comes from (a catalog and its date, a spot price read at launch). */
  source: string;
  /** Spot / preemptible capacity. */
  spot: boolean;
}

interface EventBase {
  /** Session-unique machine name (head, compute-3...). */
  machine: string;
  /** ISO 8601 time with a zone (`2026-11-01T09:00:00Z`). */
  at: string;
}

/** A machine was created with this price; it starts in `state` (default `pending`, charged as running). */
export interface LaunchEvent extends EventBase {
  type: "launch";
  price: LaunchPrice;
  state?: MachineState;
}

/** The machine is in `state` from `at` on. */
export interface StateEvent extends EventBase {
  type: "state";
  state: MachineState;
}

/** The compute price changed from `at` on (a new spot price); disk and address prices stay. */
export interface PriceEvent extends EventBase {
  type: "price";
  computeUsdPerHour: number;
  /** Where the new price comes from; default: the launch price's source. */
  source?: string;
}

/** The machine is gone from `at` on: nothing is charged after this instant. */
export interface TerminateEvent extends EventBase {
  type: "terminate";
}

export type LedgerEvent = LaunchEvent | StateEvent | PriceEvent | TerminateEvent;

/** A ledger input that cannot be billed (bad time, price, or order of a machine's life). */
export class LedgerError extends Error {
  override readonly name = "LedgerError";
  constructor(
    message: string,
    /** Position of the offending event in the input, if the error is about one. */
    readonly index?: number,
  ) {
    super(message);
  }
}

/** Milliseconds since the epoch of an ISO time; throws LedgerError on anything Date cannot read or a time without a zone. */
export function timeOf(at: string, where: string, index?: number): number {
  // A time without a zone would be read in the local zone of whoever runs the ledger.
  if (typeof at !== "string" || !/(Z|[+-]\d{2}:?\d{2})$/i.test(at))
    throw new LedgerError(`${where}: time '${String(at)}' must be ISO 8601 with a zone (e.g. 2026-11-01T09:00:00Z)`, index);
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) throw new LedgerError(`${where}: time '${at}' is not a valid ISO 8601 time`, index);
  return ms;
}
