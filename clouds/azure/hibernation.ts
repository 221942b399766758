/**
 * Azure VM hibernation, as Azure documents it (learn.microsoft.com, "Hibernation for Azure
 * virtual machines", supported configurations): sizes of the Dsv5, Dasv5, Ddsv5, Dadsv5, Esv5,
 * Easv5, Edsv5 and Eadsv5 series with at most 64 GB of RAM; not spot VMs; an OS disk large enough
 * for the RAM (the adapter grows it: clouds/azure/emit/image.ts `osDiskGb`). B-series, v3 and
 * older, HPC and the GPU series are not supported.
 */
import type { HibernationSubject } from "../../plan/catalog.js";

/** The supported series as size-name patterns: `Standard_D4as_v5` is Dasv5. */
const SERIES = /^Standard_([DE])\d+(a?d?)s_v5$/;

export const AZURE_HIBERNATION_MAX_GB = 64;

/** Why Azure cannot launch this machine with hibernation, naming the rule; undefined when it can. */
export function azureHibernation(m: HibernationSubject): string | undefined {
  if (!SERIES.test(m.instanceType))
    return `${m.instanceType} is not in the series Azure documents for hibernation (Dsv5, Dasv5, Ddsv5, Dadsv5, Esv5, Easv5, Edsv5, Eadsv5)`;
  if (m.memoryGb === undefined)
    return `the catalog does not know ${m.instanceType}'s memory, and Azure hibernates only sizes with at most ${AZURE_HIBERNATION_MAX_GB} GB of RAM`;
  if (m.memoryGb > AZURE_HIBERNATION_MAX_GB)
    return `${m.instanceType} has ${m.memoryGb} GB of RAM; Azure hibernates only sizes with at most ${AZURE_HIBERNATION_MAX_GB} GB`;
  return undefined;
}
