/**
 * Test layer: unit, with FakeEngine (a test double of the Pulumi engine) and test-double drivers; not end-to-end.
 * `formations connect`, byte for byte, from recorded sessions: FakeEngine (a test double of the
 * engine) holds each session, and its recorded `machines` output is set to what the cloud
 * adapters export (public and private addresses, login users, the gateway's URL).
 */
import { EventEmitter } from "node:events";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Sessions, type SessionsOptions } from "../../automation/sessions.js";
import { connectCommand, withSessionBlock } from "../../cli/connect.js";
import type { Output } from "../../cli/output.js";
import type { SessionDeps } from "../../cli/session-runtime.js";
import { harness, poolYaml, steppingClock, type Harness } from "./helpers.js";

let h: Harness;
let out: string[];
let err: string[];
const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), color: false };

function deps(): SessionDeps {
  return {
    interactive: false,
    live: false,
    signals: new EventEmitter(),
    makeSessions: (o: SessionsOptions) =>
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

/** Ups `text` as `session`, then records the machines' outputs as the cloud adapter exports them. */
async function recorded(
  session: string,
  text: string,
  machines: Record<string, { publicIp?: string; privateIp: string; user: string; connect?: string }>,
): Promise<void> {
  await h.sessions.up(await h.file(`${session}.yaml`, text), { session });
  const list = h.engine.state(session).outputs.machines!.value as Record<string, unknown>[];
  for (const m of list) {
    const o = machines[m.name as string]!;
    Object.assign(m, { privateIp: o.privateIp, user: o.user, connect: o.connect ?? `ssh ${o.user}@${o.publicIp ?? o.privateIp}` });
    if (o.publicIp) m.publicIp = o.publicIp;
  }
}

const hpc = `apiVersion: formations/v1\nkind: HPCCluster\nmetadata: { name: hpc }\ncloud: { provider: aws, region: eu-west-1 }\naccess: { allowFrom: [198.51.100.0/24] }\nspec:\n  headNode: { machine: {} }\n  computeNodes: { count: 2, machine: {} }\n  sharedStorage: { sizeGb: 100 }\n`;
const lab = `apiVersion: formations/v1\nkind: VirtualLab\nmetadata: { name: vlab }\ncloud: { provider: azure, region: westeurope }\naccess: { allowFrom: [198.51.100.0/24] }\nspec:\n  target: { machine: { image: ubuntu-22.04 }, protocol: rdp }\n`;

beforeEach(async () => {
  h = await harness();
  out = [];
  err = [];
  await recorded("hpc", hpc, {
    head: { publicIp: "203.0.113.12", privateIp: "10.42.0.4", user: "ubuntu" },
    "compute-1": { privateIp: "10.42.16.21", user: "ubuntu" },
    "compute-2": { privateIp: "10.42.16.22", user: "ubuntu" },
  });
  await recorded("vlab", lab, {
    proxy: { publicIp: "203.0.113.21", privateIp: "10.42.0.4", user: "azureuser", connect: "https://203.0.113.21/guacamole/" },
    target: { privateIp: "10.42.16.5", user: "azureuser", connect: "rdp://10.42.16.5:3389" },
  });
});
afterEach(async () => {
  await h.cleanup();
});

describe("connect: SSH", () => {
  it("lists every machine, the private ones jumping through the head node", async () => {
    expect(await connectCommand("hpc", {}, io, deps())).toBe(0);
    expect(out.join("\n")).toBe(
      [
        "MACHINE    CONNECT",
        "head       ssh ubuntu@203.0.113.12",
        "compute-1  ssh -J ubuntu@203.0.113.12 ubuntu@10.42.16.21",
        "compute-2  ssh -J ubuntu@203.0.113.12 ubuntu@10.42.16.22",
      ].join("\n"),
    );
  });

  it("--machine --key prints the one command, the jump carrying the key", async () => {
    expect(await connectCommand("hpc", { machine: "compute-1", key: "~/.ssh/lab key" }, io, deps())).toBe(0);
    expect(out).toEqual([`ssh -i ~/'.ssh/lab key' -o ProxyCommand="ssh -i ~/'.ssh/lab key' -W %h:%p ubuntu@203.0.113.12" ubuntu@10.42.16.21`]);
    expect(err).toEqual([]);
  });

  it("--ssh-config prints the Host blocks, the head's once, first", async () => {
    expect(await connectCommand("hpc", { sshConfig: true, key: "~/.ssh/id_ed25519" }, io, deps())).toBe(0);
    const block = (alias: string, host: string, jump?: string) =>
      [
        `Host ${alias}`,
        `  HostName ${host}`,
        "  User ubuntu",
        "  IdentityFile ~/.ssh/id_ed25519",
        "  IdentitiesOnly yes",
        ...(jump ? [`  ProxyJump ${jump}`] : []),
        "  StrictHostKeyChecking accept-new",
      ].join("\n");
    expect(out).toEqual([
      [block("hpc-head", "203.0.113.12"), "", block("hpc-compute-1", "10.42.16.21", "hpc-head"), "", block("hpc-compute-2", "10.42.16.22", "hpc-head")].join(
        "\n",
      ),
    ]);
  });

  it("--ssh-config --write puts the session's block in the file once, replacing it on the next run, mode 0600", async () => {
    const file = join(h.home, "ssh_config");
    await writeFile(file, "Host mine\n  User me\n");
    expect(await connectCommand("hpc", { sshConfig: true, write: file, machine: "head" }, io, deps())).toBe(0);
    expect(await connectCommand("hpc", { sshConfig: true, write: file, machine: "head" }, io, deps())).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      "Host mine\n  User me\n\n# BEGIN formations session hpc (written by formations connect --ssh-config)\nHost hpc-head\n  HostName 203.0.113.12\n  User ubuntu\n  StrictHostKeyChecking accept-new\n# END formations session hpc\n",
    );
    expect(err.at(-1)).toBe(`formations: wrote hpc's hosts to ${file} (ssh hpc-head)`);
    const fresh = join(h.home, "new_config");
    expect(await connectCommand("hpc", { sshConfig: true, write: fresh }, io, deps())).toBe(0);
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
  });

  it("an unknown machine is exit 1 with the list of machines", async () => {
    expect(await connectCommand("hpc", { machine: "compute-9" }, io, deps())).toBe(1);
    expect(err).toEqual(["formations: no machine named 'compute-9' in session 'hpc' (machines: head, compute-1, compute-2)"]);
    expect(await connectCommand("nope", {}, io, deps())).toBe(1);
  });

  it("a machine removed outside formations is exit 1, saying how to bring it back", async () => {
    h.engine.state("hpc").cloud["compute-2"] = "deleted";
    await h.sessions.refresh("hpc");
    expect(await connectCommand("hpc", { machine: "compute-2" }, io, deps())).toBe(1);
    expect(err).toEqual(["formations: hpc/compute-2 was removed outside formations (formations start hpc --machine compute-2 creates it again)"]);
  });
});

describe("connect: VirtualLab and desktops", () => {
  it("prints the gateway's browser URL first", async () => {
    expect(await connectCommand("vlab", {}, io, deps())).toBe(0);
    expect(out).toEqual([
      "https://203.0.113.21/guacamole/",
      "MACHINE  CONNECT\nproxy    ssh azureuser@203.0.113.21\ntarget   ssh -N -L 13389:10.42.16.5:3389 azureuser@203.0.113.21",
    ]);
  });

  it("--rdp-file writes the .rdp (no password) and prints the tunnel it needs", async () => {
    const file = join(h.home, "target.rdp");
    expect(await connectCommand("vlab", { rdpFile: file }, io, deps())).toBe(0);
    expect(await readFile(file, "utf8")).toBe(
      "full address:s:localhost:13389\r\nusername:s:azureuser\r\nprompt for credentials:i:1\r\nauthentication level:i:2\r\nscreen mode id:i:2\r\n",
    );
    expect(out).toEqual(["ssh -N -L 13389:10.42.16.5:3389 azureuser@203.0.113.21"]);
    expect(err).toEqual([`formations: wrote ${file} for vlab/target: open the tunnel above first, then the file; the client asks for the password`]);
    out = [];
    err = [];
    expect(await connectCommand("hpc", { rdpFile: file }, io, deps())).toBe(1);
    expect(err).toEqual(["formations: no machine of hpc has a remote desktop (RDP)"]);
  });

  it("--json gives every artifact of every machine", async () => {
    expect(await connectCommand("vlab", { json: true, machine: "target" }, io, deps())).toBe(0);
    expect(JSON.parse(out.join("\n"))).toEqual({
      session: "vlab",
      machines: [
        {
          machine: "target",
          url: "https://203.0.113.21/guacamole/",
          tunnel: "ssh -N -L 13389:10.42.16.5:3389 azureuser@203.0.113.21",
          rdpFile: "full address:s:localhost:13389\r\nusername:s:azureuser\r\nprompt for credentials:i:1\r\nauthentication level:i:2\r\nscreen mode id:i:2\r\n",
          notes: [],
        },
      ],
    });
  });
});

describe("connect: containers", () => {
  it("prints docker exec for a container, and says when it is not running", async () => {
    await h.sessions.up(await h.file("pool.yaml", poolYaml({ name: "pool", count: 2 })));
    await h.sessions.setDesiredState("pool", "machine-2", "stopped", { action: "stop" });
    expect(await connectCommand("pool", { machine: "machine-1" }, io, deps())).toBe(0);
    expect(await connectCommand("pool", { machine: "machine-2" }, io, deps())).toBe(0);
    expect(out).toEqual(["docker exec -it fake-pool-machine-1 sh", "docker exec -it fake-pool-machine-2 sh"]);
    expect(err).toEqual(["note: machine-2 is stopped: formations start pool --machine machine-2"]);
    expect(await connectCommand("pool", { sshConfig: true }, io, deps())).toBe(1);
  });
});

describe("withSessionBlock", () => {
  it("appends to an empty file without a blank line, replaces only its own session's block", () => {
    const a = withSessionBlock("", "a", "Host a-x\n");
    expect(a).toBe("# BEGIN formations session a (written by formations connect --ssh-config)\nHost a-x\n# END formations session a\n");
    const ab = withSessionBlock(a, "b", "Host b-x\n");
    expect(withSessionBlock(ab, "a", "Host a-y\n")).toBe(ab.replace("Host a-x", "Host a-y"));
  });
});

describe("connect --putty", () => {
  it("prints PuTTY's and plink's lines for a private compute node, jumping through the head with plink, the key as .ppk", async () => {
    expect(await connectCommand("hpc", { machine: "compute-1", key: "C:\\Users\\Ann Lee\\.ssh\\id_ed25519", putty: true }, io, deps())).toBe(0);
    expect(out).toEqual([
      `putty -ssh -i "C:\\Users\\Ann Lee\\.ssh\\id_ed25519.ppk" -proxycmd "plink -batch -i \\"C:\\\\Users\\\\Ann Lee\\\\.ssh\\\\id_ed25519.ppk\\" -nc %host:%port ubuntu@203.0.113.12" ubuntu@10.42.16.21`,
      `plink -ssh -i "C:\\Users\\Ann Lee\\.ssh\\id_ed25519.ppk" -proxycmd "plink -batch -i \\"C:\\\\Users\\\\Ann Lee\\\\.ssh\\\\id_ed25519.ppk\\" -nc %host:%port ubuntu@203.0.113.12" ubuntu@10.42.16.21`,
    ]);
    expect(err).toEqual([
      `note: PuTTY reads .ppk keys: convert yours once with 'puttygen "C:\\Users\\Ann Lee\\.ssh\\id_ed25519" -o "C:\\Users\\Ann Lee\\.ssh\\id_ed25519.ppk"'`,
    ]);
  });

  it("prints a block per machine of the session; --json gives the lines per machine", async () => {
    expect(await connectCommand("hpc", { putty: true }, io, deps())).toBe(0);
    expect(out[0]).toBe("head:\n  putty -ssh ubuntu@203.0.113.12\n  plink -ssh ubuntu@203.0.113.12");
    expect(out).toHaveLength(3);
    out = [];
    expect(await connectCommand("hpc", { putty: true, machine: "head", json: true }, io, deps())).toBe(0);
    expect(JSON.parse(out.join("\n"))).toEqual({
      session: "hpc",
      machines: [{ machine: "head", putty: "putty -ssh ubuntu@203.0.113.12", plink: "plink -ssh ubuntu@203.0.113.12", notes: [] }],
    });
  });

  it("says so when no machine is reached with SSH (a lab's RDP desktop)", async () => {
    expect(await connectCommand("vlab", { machine: "target", putty: true }, io, deps())).toBe(1);
    expect(err.join("\n")).toContain("no machine of vlab named target is reached with SSH, so PuTTY cannot reach it");
  });
});
