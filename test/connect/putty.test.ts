/**
 * Layer: unit (pure text). PuTTY's and plink's command lines for the machines `connect` reaches
 * with SSH: direct, through the proxy (plink -nc as PuTTY's -proxycmd), with a key (PuTTY's .ppk),
 * and none for containers and desktops.
 */
import { describe, expect, it } from "vitest";
import type { ConnectMachine } from "../../connect/artifacts.js";
import { ppkOf, puttyCommands, windowsWord } from "../../connect/putty.js";

const base: ConnectMachine = {
  session: "hpc",
  machine: "head",
  provider: "aws",
  kind: "HPCCluster",
  role: "head",
  os: "linux",
  user: "ubuntu",
  publicAddress: "203.0.113.10",
  privateAddress: "10.0.0.4",
};

describe("puttyCommands", () => {
  it("opens a public machine directly", () => {
    expect(puttyCommands(base)).toEqual({ machine: "head", putty: "putty -ssh ubuntu@203.0.113.10", plink: "plink -ssh ubuntu@203.0.113.10", notes: [] });
  });

  it("jumps through the proxy with plink -nc, the key on both legs, and says how to make the .ppk", () => {
    const node: ConnectMachine = {
      ...base,
      machine: "compute-1",
      role: "compute",
      publicAddress: undefined,
      privateAddress: "10.0.0.7",
      proxy: { machine: "head", address: "203.0.113.10", user: "ubuntu" },
    };
    const r = puttyCommands(node, { keyPath: "C:\\Users\\Ada Lovelace\\hpc" })!;
    // On the command line the proxy command is one argument; PuTTY then reads \\ as one backslash in it.
    expect(r.putty).toBe(
      String.raw`putty -ssh -i "C:\Users\Ada Lovelace\hpc.ppk" -proxycmd "plink -batch -i \"C:\\Users\\Ada Lovelace\\hpc.ppk\" -nc %host:%port ubuntu@203.0.113.10" ubuntu@10.0.0.7`,
    );
    expect(r.plink.startsWith("plink -ssh -i ")).toBe(true);
    expect(r.notes).toEqual([
      'PuTTY reads .ppk keys: convert yours once with \'puttygen "C:\\Users\\Ada Lovelace\\hpc" -o "C:\\Users\\Ada Lovelace\\hpc.ppk"\'',
    ]);
  });

  it("keeps a key already in PuTTY's format, with no note", () => {
    expect(puttyCommands(base, { keyPath: "lab.ppk" })).toMatchObject({ putty: "putty -ssh -i lab.ppk ubuntu@203.0.113.10", notes: [] });
    expect(ppkOf("id_ed25519")).toBe("id_ed25519.ppk");
  });

  it("gives none for a container, a Windows machine or an RDP desktop", () => {
    expect(puttyCommands({ ...base, provider: "docker", container: "hpc-head" })).toBeUndefined();
    expect(puttyCommands({ ...base, os: "windows" })).toBeUndefined();
    expect(puttyCommands({ ...base, kind: "VirtualLab", role: "target", protocol: "rdp" })).toBeUndefined();
  });

  it("refuses a word the Windows command line cannot hold", () => {
    expect(() => windowsWord('a"b')).toThrow(/cannot write "a\\"b" on a PuTTY command line/);
    expect(windowsWord("50%")).toBe('"50%"');
  });
});
