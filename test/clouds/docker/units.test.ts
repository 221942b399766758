/** Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser). */
/** Pure parts of the Docker driver and of session ordering: engine URLs, error classes, image names, tiers. */
import { describe, expect, it } from "vitest";
import { tierOrder, type ActionTarget } from "../../../automation/actions/index.js";
import { classifyDockerError, dockerOptions } from "../../../clouds/docker/engine.js";
import { splitReference } from "../../../clouds/docker/names.js";
import { tierOf } from "../../../plan/index.js";
import type { Role } from "../../../plan/types.js";

describe("dockerOptions", () => {
  it("maps each engine URL scheme to dockerode options", () => {
    expect(dockerOptions(undefined)).toBeUndefined(); // docker-modem reads DOCKER_HOST and its TLS variables itself
    expect(dockerOptions("unix:///tmp/x/docker.sock")).toEqual({ socketPath: "/tmp/x/docker.sock" });
    expect(dockerOptions("tcp://10.0.0.5:2375")).toEqual({ protocol: "http", host: "10.0.0.5", port: 2375 });
    expect(dockerOptions("tcp://docker.internal")).toEqual({ protocol: "http", host: "docker.internal", port: 2375 });
    expect(dockerOptions("https://docker.internal")).toEqual({ protocol: "https", host: "docker.internal", port: 2376 });
    expect(dockerOptions("ssh://alice@build-host")).toEqual({ protocol: "ssh", host: "build-host", port: 22, username: "alice" });
  });

  it("says what to write instead of an unusable URL", () => {
    expect(() => dockerOptions("docker.sock")).toThrow(/is not a URL: use unix:\/\/\/path\/docker.sock/);
    expect(() => dockerOptions("ftp://x")).toThrow(/unsupported scheme 'ftp:'/);
  });
});

describe("classifyDockerError", () => {
  const what = "s1-head";
  const kind = (err: unknown) => classifyDockerError(err, { what, from: "running", host: "unix:///tmp/d.sock" }).kind;

  it("sorts the engine's answers and socket errors into classes", () => {
    expect(kind({ statusCode: 404, json: { message: "No such container: s1-head" } })).toBe("not-found");
    expect(kind({ statusCode: 429, json: { message: "slow down" } })).toBe("throttled");
    expect(kind({ statusCode: 409, json: { message: "Container s1-head is restarting, wait until the container is running" } })).toBe("transient");
    expect(kind({ statusCode: 409, json: { message: "removal of container s1-head is already in progress" } })).toBe("transient");
    expect(kind({ statusCode: 409, json: { message: "Container s1-head is not running" } })).toBe("invalid-state");
    expect(kind({ statusCode: 503, json: { message: "busy" } })).toBe("transient");
    expect(kind({ statusCode: 500, json: { message: "driver failed" } })).toBe("other");
    expect(kind(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("transient");
    expect(kind(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe("unreachable");
  });

  it("writes one line, the engine's own message, and the states it knew", () => {
    const e = classifyDockerError(
      { statusCode: 500, json: { message: "driver\nfailed   badly" }, message: "(HTTP code 500) server error" },
      { what, from: "running" },
    );
    expect(e.message).toBe("s1-head: driver failed badly");
    expect([e.from, e.to]).toEqual(["running", "running"]);
    const gone = classifyDockerError({ statusCode: 404 }, { what, from: "running" });
    expect([gone.message, gone.from, gone.to]).toEqual(["container s1-head does not exist (removed outside formations?)", "terminated", "terminated"]);
    const denied = classifyDockerError(Object.assign(new Error("connect EACCES"), { code: "EACCES" }), { what, host: "unix:///tmp/d.sock" });
    expect(denied.message).toBe(
      "Docker engine at unix:///tmp/d.sock is not answering (permission denied on its socket): start it, or point DOCKER_HOST / cloud.host at a running engine",
    );
  });
});

describe("splitReference", () => {
  it("splits a tag off, but not a registry port", () => {
    expect(splitReference("snap")).toEqual({ repo: "snap", tag: "latest" });
    expect(splitReference("snap:v1")).toEqual({ repo: "snap", tag: "v1" });
    expect(splitReference("registry:5000/snap")).toEqual({ repo: "registry:5000/snap", tag: "latest" });
    expect(splitReference("registry:5000/snap:v2")).toEqual({ repo: "registry:5000/snap", tag: "v2" });
  });
});

describe("tiers", () => {
  it("proxy 0, master/head/target 1, worker/compute 2, stand-alone roles 0", () => {
    const roles: Role[] = ["proxy", "machine", "member", "host", "master", "head", "target", "worker", "compute"];
    expect(roles.map(tierOf)).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2]);
  });

  it("orders stop top down and start bottom up", () => {
    const t = (machine: string, role: Role): ActionTarget => ({ session: "s1", machine, role });
    const targets = [t("compute-1", "compute"), t("head", "head"), t("proxy", "proxy"), t("compute-2", "compute")];
    const names = (groups: ActionTarget[][]) => groups.map((g) => g.map((x) => x.machine));
    expect(names(tierOrder(targets, "stop"))).toEqual([["compute-1", "compute-2"], ["head"], ["proxy"]]);
    expect(names(tierOrder(targets, "start"))).toEqual([["proxy"], ["head"], ["compute-1", "compute-2"]]);
  });
});
