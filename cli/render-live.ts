/**
 * The live per-resource view on a terminal: LiveModel's frames redrawn in place by log-update
 * (a small, well-kept library that rewrites a block of lines and hides the cursor). Redraws are
 * throttled: a thousand-resource update emits events far faster than a terminal needs frames.
 * Warnings and errors also persist above the live block, so they stay in the scrollback.
 */
import { createLogUpdate } from "log-update";
import type { SessionEvent } from "../automation/session/events.js";
import { LiveModel } from "./render.js";

export interface Renderer {
  onEvent(e: SessionEvent): void;
  /** Draws the last frame and leaves it in the scrollback. */
  stop(): void;
}

export function liveRenderer(stream: NodeJS.WriteStream = process.stderr, intervalMs = 80): Renderer {
  const model = new LiveModel(Math.max(4, (stream.rows ?? 24) - 8));
  const draw = createLogUpdate(stream);
  let tick = 0;
  let dirty = true;
  const timer = setInterval(() => {
    tick++;
    // The spinner moves even when nothing else does, so a slow step still looks alive.
    if (dirty || tick % 2 === 0) draw(model.frame(tick));
    dirty = false;
  }, intervalMs);
  timer.unref();
  return {
    onEvent(e) {
      model.apply(e);
      dirty = true;
      if (e.type === "diagnostic" && e.severity !== "info") draw.persist(`${e.session}: ${e.severity}: ${e.message}`);
    },
    stop() {
      clearInterval(timer);
      draw(model.frame(tick));
      draw.done();
    },
  };
}
