/**
 * Layer 1 (pure planning, no Pulumi): hibernation enabled at launch from each cloud's documented
 * rules (clouds/<cloud>/hibernation.ts), and the rule named when it is refused.
 */
import { describe, expect, it } from "vitest";
import { loadFormationText } from "../../format/load.js";
import { planSession } from "../../plan/index.js";
import { hibernationRefusal } from "../../automation/session/refusals.js";
import { ec2Shape } from "../../clouds/aws/hibernation.js";

const WHERE: Record<string, string> = { aws: "region: eu-west-1", gcp: "region: europe-west1\n  project: demo-project", azure: "region: westeurope" };

function machine(provider: "aws" | "gcp" | "azure", block: string) {
  const text = `apiVersion: formations/v1\nkind: Machine\nmetadata:\n  name: box\ncloud:\n  provider: ${provider}\n  ${WHERE[provider]}\nspec:\n  machine: ${block}\n`;
  const plan = planSession(loadFormationText(text, "box.yaml"));
  return plan.machines[0]!;
}

describe("AWS: documented families, memory under 150 GiB, not bare metal", () => {
  it.each(["m5.large", "m5.xlarge", "c5.large", "r5.large", "t3.medium", "m6i.large", "c6i.xlarge", "r6i.2xlarge", "t3a.medium"])(
    "%s launches with hibernation",
    (type) => {
      const m = machine("aws", `{ instanceType: ${type} }`);
      expect(m.hibernation).toBe(true);
      expect(m.hibernationRule).toBeUndefined();
      expect(hibernationRefusal("aws", m)).toBeUndefined();
    },
  );

  it.each([
    ["p3.2xlarge", "the p3 family is not among those AWS documents for hibernation"],
    ["hpc6a.48xlarge", "the hpc6a family is not among those AWS documents for hibernation"],
    ["m5.metal", "m5.metal is bare metal, which AWS does not hibernate"],
    ["r5.8xlarge", "r5.8xlarge has 256 GiB of RAM; AWS hibernates only instances with less than 150 GiB"],
    ["t3.nano", "the catalog does not know t3.nano's memory, and AWS hibernates only instances with less than 150 GiB of RAM"],
  ])("%s is refused: %s", (type, rule) => {
    const m = machine("aws", `{ instanceType: ${type} }`);
    expect(m.hibernation).toBe(false);
    expect(m.hibernationRule).toBe(rule);
    expect(hibernationRefusal("aws", m)).toBe(`machine was not launched with hibernation (${rule})`);
  });

  it("memory of unlisted c, m and r sizes comes from the name (2, 4 and 8 GiB per vCPU)", () => {
    expect(ec2Shape("m5.8xlarge")).toEqual({ vcpus: 32, memoryGb: 128 });
    expect(ec2Shape("c5.large")).toEqual({ vcpus: 2, memoryGb: 4 });
    expect(ec2Shape("r6i.xlarge")).toEqual({ vcpus: 4, memoryGb: 32 });
    expect(ec2Shape("t3.nano")).toBeUndefined();
    expect(machine("aws", "{ instanceType: m5.8xlarge }")).toMatchObject({ hibernation: true, memoryGb: 128, vcpus: 32 });
  });

  it("Windows is named as the reason", () => {
    expect(machine("aws", "{ instanceType: m5.large, image: windows-2022 }").hibernationRule).toBe("its image is Windows");
  });
});

describe("Azure: Dsv5/Dasv5/Ddsv5/Dadsv5/Esv5/Easv5/Edsv5/Eadsv5 with at most 64 GB", () => {
  it.each(["Standard_D2s_v5", "Standard_D4as_v5", "Standard_E8s_v5"])("%s launches with hibernation", (type) => {
    expect(machine("azure", `{ instanceType: ${type} }`)).toMatchObject({ hibernation: true });
  });
  it.each([
    ["Standard_B2s", "Standard_B2s is not in the series Azure documents for hibernation (Dsv5, Dasv5, Ddsv5, Dadsv5, Esv5, Easv5, Edsv5, Eadsv5)"],
    ["Standard_E16s_v5", "Standard_E16s_v5 has 128 GB of RAM; Azure hibernates only sizes with at most 64 GB"],
    ["Standard_D48s_v5", "the catalog does not know Standard_D48s_v5's memory, and Azure hibernates only sizes with at most 64 GB of RAM"],
  ])("%s is refused: %s", (type, rule) => {
    expect(machine("azure", `{ instanceType: ${type} }`)).toMatchObject({ hibernation: false, hibernationRule: rule });
  });
});

describe("GCE: listed series, no GPUs, at most 208 GB", () => {
  it.each(["e2-medium", "n2-standard-4", "c2-standard-30", "n1-standard-8"])("%s can be suspended", (type) => {
    expect(machine("gcp", `{ instanceType: ${type} }`)).toMatchObject({ hibernation: true });
  });
  it.each([
    ["c2-standard-60", "c2-standard-60 has 240 GB of memory; GCE suspends only VMs with at most 208 GB"],
    ["g2-standard-4", "the G2 series is not among those GCE documents for suspend"],
    ["n1-standard-4, gpus: { count: 1 }", "n1-standard-4 has GPUs, and GCE does not suspend VMs with GPUs"],
  ])("%s is refused: %s", (type, rule) => {
    expect(machine("gcp", `{ instanceType: ${type} }`)).toMatchObject({ hibernation: false, hibernationRule: rule });
  });
});
