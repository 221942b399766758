/**
 * Test layer 3, Docker half: the real Docker engine; Pulumi is replaced by FakeEngine, a unit-test double, so this is not end-to-end.
 * `show` reads each machine's last idle verdict out of its container through a REAL Docker engine
 * (scripts/docker-engine.sh): the agent script runs in the container with fake time, writes its
 * verdict file, and `formations show` (CLI, FakeEngine test double behind the library) prints it,
 * also once the container is stopped. A machine without a verdict or without a container says so.
 * If the engine cannot start, these tests FAIL (CI starts it).
 */
import { EventEmitter } from "node:events";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDLE_AGENT_PATHS, idleAgentScript } from "../../../agent/idle-agent.js";
import { LABELS } from "../../../clouds/docker/names.js";
import { Sessions, type SessionsOptions } from "../../../automation/sessions.js";
import type { SessionDetails } from "../../../automation/session/show.js";
import { withVerdicts } from "../../../automation/policy/verdicts.js";
import { firstFileOfTar } from "../../../clouds/docker/verdicts.js";
import { showCommand } from "../../../cli/show.js";
import type { Output } from "../../../cli/output.js";
import { cleanup, ensureEngine, IMAGE, uniqueSession } from "../actions/engine.js";
import { harness, steppingClock, type Harness } from "../helpers.js";

const SLOW = 60_000;
/** 2027-01-15T08:00:00Z, as the agent sees it (FORMATIONS_IDLE_NOW). */
const T0 = 1_800_000_000;

let docker: Docker;
let h: Harness;
const session = uniqueSession("idle");

const yaml = `apiVersion: formations/v1\nkind: Pool\nmetadata:\n  name: ${session}\ncloud:\n  provider: docker\nlifecycle:\n  autoStop: { idleMinutes: 5 }\nspec:\n  count: 3\n  machine:\n    image: ${IMAGE}\n`;

/** The container FakeEngine's outputs point `docker exec` at (`fake-<session>-<machine>`), labelled as the adapter labels them. */
async function container(machine: string): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: `fake-${session}-${machine}`,
    Image: IMAGE,
    Labels: { [LABELS.session]: session, [LABELS.machine]: machine, [LABELS.role]: "member", [LABELS.managedBy]: "formations" },
    HostConfig: { NetworkMode: "none" },
  });
  await c.start();
  return c;
}

async function exec(c: Docker.Container, cmd: string[], env: Record<string, string>): Promise<void> {
  const e = await c.exec({ Cmd: cmd, Env: Object.entries(env).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  await new Promise((resolve) => stream.on("end", resolve).resume());
  expect((await e.inspect()).ExitCode).toBe(0);
}

/** Installs the real agent script in the container (through the environment: on a command line the agent would see its own watched words). */
async function install(c: Docker.Container): Promise<void> {
  await exec(c, ["sh", "-c", 'printf %s "$AGENT" > /idle-agent.sh'], { AGENT: idleAgentScript });
}

/** One run of the agent inside the container, at agent time `now`. */
async function agent(c: Docker.Container, now: number): Promise<void> {
  await exec(c, ["sh", "/idle-agent.sh"], {
    FORMATIONS_IDLE_MINUTES: "5",
    FORMATIONS_IDLE_CPU_PERCENT: "100",
    FORMATIONS_IDLE_MAX_GAP: "100000",
    FORMATIONS_IDLE_STOP_COMMAND: "echo stopped >> /tmp/stopped",
    FORMATIONS_IDLE_NOW: String(now),
  });
}

function deps(): { makeSessions: (o: SessionsOptions) => Sessions; interactive: false; live: false; signals: EventEmitter } {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o) =>
      new Sessions({
        ...o,
        home: h.home,
        env: { FORMATIONS_HOME: h.home, PULUMI_CONFIG_PASSPHRASE: "pw" },
        engine: h.engine,
        actor: "tester@host",
        now: steppingClock(),
      }),
  };
}

beforeAll(async () => {
  docker = await ensureEngine();
  h = await harness();
  await h.sessions.up(await h.file("pool.yaml", yaml));
  const one = await container("machine-1");
  await container("machine-2"); // runs, but the agent never ran in it
  // machine-3 has no container at all.
  await install(one);
  for (let i = 0; i <= 5; i++) await agent(one, T0 + 60 * i);
}, 200_000);

afterAll(async () => {
  if (docker) await cleanup(docker, session);
  await h?.cleanup();
}, SLOW);

describe("show reads the idle verdict from the container", { timeout: SLOW }, () => {
  it("prints the last verdict and why, and says why the others have none", async () => {
    const out: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: () => {}, color: false };
    expect(await showCommand(session, {}, io, deps())).toBe(0);
    // The CPU share of the host the container saw varies: the rest is exact.
    const text = out.join("\n").replace(/cpu \d+% since the last run \(threshold 100%\)|cpu: first sample, measured from the next run/, "<cpu>");
    expect(text).toContain("lifecycle auto-stop after 5 idle min; no budget");
    const lines = text.split("\n");
    const section = lines.slice(lines.indexOf("idle agent (last verdict)") + 1, lines.indexOf("journal (latest)") - 1);
    expect(section).toEqual([
      "  machine-1  stopping at 2027-01-15T08:05:00Z (idle for 5 min): no session on ports 22 3389 5900 5901 4822 443 8080; <cpu>; idle for 300s (limit 5 min): running: echo stopped >> /tmp/stopped",
      "  machine-2: no verdict yet (the idle agent has not run on it)",
      `  machine-3: container fake-${session}-machine-3 not found`,
    ]);
    expect(lines.find((l) => l.startsWith("machine-1 "))).toMatch(/ stopping 5 min$/);
  });

  it("reads it from a stopped container too (docker cp works on stopped containers), in --json", async () => {
    await docker.getContainer(`fake-${session}-machine-1`).stop({ t: 1 });
    const out: string[] = [];
    expect(await showCommand(session, { json: true }, { out: (l) => out.push(l), err: () => {}, color: false }, deps())).toBe(0);
    const d = JSON.parse(out.join("\n")) as SessionDetails;
    expect(d.machines[0]!.idle).toEqual({
      verdict: {
        at: "2027-01-15T08:05:00Z",
        verdict: "stopping",
        reasons: [
          "no session on ports 22 3389 5900 5901 4822 443 8080",
          expect.stringMatching(/^cpu (\d+% since the last run \(threshold 100%\)|: first sample, measured from the next run)$/),
          "idle for 300s (limit 5 min): running: echo stopped >> /tmp/stopped",
        ],
        idleFor: 300,
      },
    });
  });

  it("says the engine is not answering rather than failing show", async () => {
    const d = await h.sessions.show(session);
    const shown = await withVerdicts({ ...d, cloud: { dockerHost: "unix:///tmp/formations-no-such-engine.sock" } });
    expect(shown.machines.map((m) => m.idle?.unavailable)).toEqual(
      Array(3).fill(
        `Docker engine at unix:///tmp/formations-no-such-engine.sock is not answering (ENOENT): start it, or point DOCKER_HOST / cloud.host at a running engine`,
      ),
    );
  });
});

describe("firstFileOfTar", () => {
  it("skips a pax header and returns the file's bytes", async () => {
    const chunks: Buffer[] = [];
    for await (const c of (await docker.getContainer(`fake-${session}-machine-1`).getArchive({ path: IDLE_AGENT_PATHS.verdict })) as AsyncIterable<Buffer>)
      chunks.push(c);
    const tar = Buffer.concat(chunks);
    expect(firstFileOfTar(tar)?.toString("utf8")).toMatch(/^\{"at":"2027-01-15T08:05:00Z","verdict":"stopping",.*\}\n$/);
    expect(firstFileOfTar(Buffer.alloc(1024))).toBeUndefined();
  });
});
