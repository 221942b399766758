/**
 * The GCP layer of the component-test harness (test/helpers/compile.ts): GCP's resource types,
 * an instance's metadata and the firewall rules.
 */
import type { Formation } from "../../../format/types.js";
import type { PlanOptions } from "../../../plan/index.js";
import { compile as compileFormation, countsOf, examples, inlineFormation, secretInput } from "../../helpers/compile.js";

export { ACCESS, KEY, visible, type Inputs } from "../../helpers/compile.js";

export const T = {
  provider: "pulumi:providers:gcp",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  router: "gcp:compute/router:Router",
  nat: "gcp:compute/routerNat:RouterNat",
  firewall: "gcp:compute/firewall:Firewall",
  instance: "gcp:compute/instance:Instance",
  filestore: "gcp:filestore/instance:Instance",
  dataproc: "gcp:dataproc/cluster:Cluster",
  password: "random:index/randomPassword:RandomPassword",
  bytes: "random:index/randomBytes:RandomBytes",
} as const;

export interface Firewall {
  direction: string;
  priority: number;
  targetTags: string[];
  sourceRanges?: string[];
  sourceTags?: string[];
  allows?: { protocol: string; ports?: string[] }[];
  denies?: { protocol: string; ports?: string[] }[];
}

export async function compile(f: Formation, opts: PlanOptions = {}) {
  const c = await compileFormation(f, opts);
  const counts = () => countsOf(c.of, T);
  /** An instance's metadata, unwrapped: Pulumi marks the whole map secret (the user data in it is). */
  const metadata = (machine: string) => secretInput(c.named(T.instance, machine), "metadata", `${machine} metadata`) as Record<string, string>;
  const firewalls = () => c.of(T.firewall).map((r) => ({ name: r.name, ...(r.inputs as unknown as Firewall) }));
  return { ...c, counts, metadata, firewalls };
}

export const { names: exampleNames, example, compileExample } = examples("gcp", compile);
/** An inline formation on GCP; `cloud` adds fields to its cloud block (", zone: ..."). */
export const inline = (kind: string, spec: string, extra = "", cloud = "") => inlineFormation("gcp", kind, spec, extra, cloud);
