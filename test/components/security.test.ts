/**
 * Test layer 2: components compiled under Pulumi's mocks (pulumi.runtime.setMocks).
 * Security invariants over every example formation, on the resources the real compile emits
 * under Pulumi's mock runtime:
 * - no inbound rule from 0.0.0.0/0 or ::/0 unless access.allowFrom lists it (egress and routes
 *   are outbound and may use them);
 * - no plain secret (the mock runtime's generated secret values) in any input or output.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFormation } from "../../format/load.js";
import type { Provider } from "../../format/types.js";
import { redact } from "../../components/offline.js";
import { compile, examples as examplesOf } from "../helpers/compile.js";

/** Providers whose adapters are in this build; every example of each is checked. */
const PROVIDERS: Provider[] = ["aws", "azure", "docker", "gcp", "openstack"];
/** "Anywhere": the CIDRs, and Azure's wildcard and Internet service tag. */
const OPEN = new Set(["0.0.0.0/0", "::/0", "*", "Internet", "0.0.0.0", "any"]);
/** Keys under which a CIDR means "traffic from here is allowed in". */
const SOURCE_KEY = /cidr|sourceRanges|sourceAddressPrefix|remoteIpPrefix/i;

/** Collects CIDRs that open inbound access, skipping outbound parts (egress, routes). */
export function inboundCidrs(type: string, value: unknown, key = ""): string[] {
  if (/route/i.test(type)) return [];
  if (Array.isArray(value)) return value.flatMap((v) => inboundCidrs(type, v, key));
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    const direction = String(obj.direction ?? obj.type ?? "").toLowerCase();
    if (["egress", "outbound"].includes(direction)) return [];
    // A rule that only denies opens nothing (GCP's deny-all ingress, an NSG's Deny rule).
    if ((Array.isArray(obj.denies) && !obj.allows) || String(obj.access ?? "").toLowerCase() === "deny") return [];
    return Object.entries(obj).flatMap(([k, v]) => (/^egress/i.test(k) ? [] : inboundCidrs(type, v, k)));
  }
  if (typeof value === "string" && SOURCE_KEY.test(key)) return [value];
  return [];
}

const examples = PROVIDERS.flatMap((p) => examplesOf(p).names.map((f) => join("formations", p, f)));

describe("security invariants of every example", () => {
  it("covers every kind of every provider checked", () => {
    expect(examples).toHaveLength(PROVIDERS.length * 6);
  });

  it.each(examples)("%s: nothing open to the internet, no plain secret", async (file) => {
    const formation = await loadFormation(file);
    // compile fails the test on any error the program reports.
    const { plan, rec } = await compile(formation);
    expect(rec.resources.length).toBeGreaterThan(plan.machines.length);
    const allowed = new Set(formation.access?.allowFrom ?? []);
    for (const r of rec.resources) {
      const open = inboundCidrs(r.type, redact(r.inputs)).filter((c) => OPEN.has(c) && !allowed.has(c));
      expect(open, `${r.type} ${r.name} is open to the internet`).toEqual([]);
    }
    const everything = JSON.stringify([rec.resources.map((r) => redact(r.inputs)), [...rec.outputs.values()].map(redact)]);
    // The mock runtime generates secrets as "mock-secret-<name>" (and their base64).
    expect(everything).not.toContain("mock-secret-");
    expect(everything).not.toContain(Buffer.from("mock-secret-").toString("base64").slice(0, 12));
  });

  it("the scan finds an open inbound rule and ignores egress and routes", () => {
    expect(inboundCidrs("aws:ec2/securityGroup:SecurityGroup", { ingress: [{ cidrBlocks: ["0.0.0.0/0"] }], egress: [{ cidrBlocks: ["0.0.0.0/0"] }] })).toEqual([
      "0.0.0.0/0",
    ]);
    expect(inboundCidrs("gcp:compute/firewall:Firewall", { direction: "EGRESS", destinationRanges: ["0.0.0.0/0"], sourceRanges: ["::/0"] })).toEqual([]);
    expect(inboundCidrs("aws:ec2/route:Route", { destinationCidrBlock: "0.0.0.0/0" })).toEqual([]);
    expect(inboundCidrs("azure-native:network:SecurityRule", { direction: "Inbound", sourceAddressPrefix: "::/0" })).toEqual(["::/0"]);
    expect(
      inboundCidrs("azure-native:network:NetworkSecurityGroup", { securityRules: [{ direction: "Inbound", sourceAddressPrefixes: ["Internet"] }] }),
    ).toEqual(["Internet"]);
    expect(inboundCidrs("gcp:compute/firewall:Firewall", { direction: "INGRESS", sourceRanges: ["0.0.0.0/0"], denies: [{ protocol: "all" }] })).toEqual([]);
    expect(inboundCidrs("gcp:compute/firewall:Firewall", { direction: "INGRESS", sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp" }] })).toEqual([
      "0.0.0.0/0",
    ]);
  });
});
