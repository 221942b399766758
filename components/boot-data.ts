/**
 * A machine's boot data as every VM cloud renders it: the Bootstrap's addresses and secrets
 * resolved, handed to the cloud's own renderer (plain cloud-init, GCP's NFSv3 variant, Azure's
 * custom data), and kept a Pulumi secret: the munge key and passwords are in it, so it is never
 * plain in state, previews or logs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudInitValues } from "../plan/cloudinit.js";
import type { Bootstrap } from "./adapter.js";

export function secretBootData(boot: Bootstrap, render: (values: CloudInitValues) => string): pulumi.Output<string> {
  const s = boot.secrets;
  const rendered = pulumi
    .all([boot.headAddress, boot.masterAddress, boot.targetAddress, boot.storage?.source, s.mungeKey, s.gatewayPassword, s.adminPassword])
    .apply(([headAddress, masterAddress, targetAddress, storageSource, mungeKey, gatewayPassword, adminPassword]) =>
      render({
        headAddress,
        masterAddress,
        targetAddress,
        storageSource,
        ...(boot.storage ? { storageType: boot.storage.type } : {}),
        mungeKey,
        gatewayPassword,
        adminPassword,
        peers: boot.peers ?? [],
      }),
    );
  return pulumi.secret(rendered);
}
