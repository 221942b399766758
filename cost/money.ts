/**
 * Exact money for the ledger. Prices arrive as USD numbers (0.0456 per hour); they are turned into
 * integers once, and every amount is an integer until the one rounding at the end:
 *
 * - a rate is held as pico-dollars per hour (1e-12 USD/h), from the decimal form of the price
 *   rounded half up at the 12th decimal: list prices (at most 6 decimals) are held exactly, and a
 *   derived one like 30 GB x 0.088 / 730 is off by less than 5e-13 USD/h;
 * - time is whole milliseconds;
 * - a charge is rate x milliseconds, a bigint "pico-dollar-millisecond per hour", summed exactly;
 * - an amount is reported in whole micro-dollars (1e-6 USD), rounded half up ONCE from its exact
 *   sum, so a part and the total are each within half a micro-dollar of the truth (the parts may
 *   therefore differ from the total by a few micro-dollars; none is derived from another).
 */

/** Milliseconds per hour: a charge is rate (per hour) x milliseconds / this. */
const MS_PER_HOUR = 3_600_000n;
/** Pico-dollars per micro-dollar. */
const PICO_PER_MICRO = 1_000_000n;

/** A USD-per-hour number as exact pico-dollars per hour. Throws on a negative, NaN or infinite price. */
export function picoPerHour(usdPerHour: number, what: string): bigint {
  if (!Number.isFinite(usdPerHour) || usdPerHour < 0) throw new RangeError(`${what}: a price must be a finite number >= 0, got ${usdPerHour}`);
  if (usdPerHour >= 1e9) throw new RangeError(`${what}: ${usdPerHour} USD per hour is not a price`);
  // toFixed rounds the binary value at the 12th decimal; the digits are then an exact integer.
  return BigInt(usdPerHour.toFixed(12).replace(".", ""));
}

/** Rounds a non-negative bigint ratio half up. */
function divHalfUp(n: bigint, d: bigint): bigint {
  return (n * 2n + d) / (d * 2n);
}

/** The exact charge of a rate over a duration, in pico-dollar-milliseconds per hour (sum these). */
export function charge(ratePicoPerHour: bigint, ms: number): bigint {
  return ratePicoPerHour * BigInt(ms);
}

/** An exact charge (or sum of charges) in whole micro-dollars, rounded half up. */
export function microsOf(exactCharge: bigint): number {
  return Number(divHalfUp(exactCharge, MS_PER_HOUR * PICO_PER_MICRO));
}

/** A rate in whole micro-dollars per hour, rounded half up. */
export function microsPerHour(ratePicoPerHour: bigint): number {
  return Number(divHalfUp(ratePicoPerHour, PICO_PER_MICRO));
}

/** A USD amount (a budget) in whole micro-dollars. */
export function usdToMicros(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`an amount must be a finite number >= 0, got ${usd}`);
  return Number(BigInt(usd.toFixed(6).replace(".", "")));
}

/** Micro-dollars as a USD number (for JSON output); exact to the micro-dollar. */
export function microsToUsd(micros: number): number {
  return micros / 1e6;
}

/**
 * `$51.20`: whole cents, truncated (not rounded) so that an amount below a budget never prints
 * as reaching it ($49.999 is `$49.99`, not `$50.00`).
 */
export function formatUsd(micros: number): string {
  const cents = Math.floor(micros / 10_000);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
