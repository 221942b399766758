/** Money, time and the live clock that makes costs tick. */
import { useEffect, useState } from "preact/hooks";

/** `$1.2345`: small amounts keep four decimals so a cheap machine never reads as free. */
export function usd(x: number): string {
  return `$${x.toFixed(Math.abs(x) >= 100 ? 2 : 4)}`;
}

export function perHour(x: number): string {
  return `${usd(x)}/h`;
}

/** What has accrued by `now`: the amount at `at`, plus the burn rate for the time since. */
export function accrued(soFar: number, perHourUsd: number, at: string, now: number): number {
  const hours = Math.max(0, now - Date.parse(at)) / 3_600_000;
  return soFar + perHourUsd * hours;
}

/**
 * The page's own clock, one tick a second: costs are extrapolated from the last figures the
 * server sent (their time and burn rate), so they tick without asking the server anything.
 */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
