/**
 * OVHcloud's own API for a session: the `ovh` provider and the Public Cloud project every OVH
 * resource names (`serviceName`). Neither is in the formation: the API keys come from the
 * provider's usual variables (OVH_ENDPOINT, OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET,
 * OVH_CONSUMER_KEY, or OVH_CLIENT_ID / OVH_CLIENT_SECRET), the project from
 * `formations:ovhServiceName`, else OVH_CLOUD_PROJECT_SERVICE (OVHcloud's own variable for it),
 * else the account's only Public Cloud project.
 *
 * `@ovhcloud/pulumi-ovh` is imported one module file at a time, as clouds/openstack does.
 */
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@ovhcloud/pulumi-ovh/provider.js";
import { getProjectsOutput } from "@ovhcloud/pulumi-ovh/cloud/getProjects.js";
import type { EmitContext } from "../../../components/adapter.js";

/** OVH resources' options (the kind's component as parent, the session's `ovh` provider) and the project they live in. */
export interface OvhProject {
  readonly opts: pulumi.CustomResourceOptions;
  readonly serviceName: pulumi.Input<string>;
}

/** The API endpoint: `formations:ovhEndpoint`, else OVH_ENDPOINT, else ovh-eu (ovh-ca, ovh-us for accounts there). */
export function endpoint(config = new pulumi.Config("formations"), env: NodeJS.ProcessEnv = process.env): string {
  return config.get("ovhEndpoint") ?? env.OVH_ENDPOINT ?? "ovh-eu";
}

/** The one project of a listing, or why there is none to choose. */
export function onlyProject(projects: readonly { projectId?: string; serviceName?: string }[]): string {
  const ids = projects.map((p) => p.projectId ?? p.serviceName ?? "").filter((id) => id !== "");
  if (ids.length === 1) return ids[0]!;
  const why =
    ids.length === 0
      ? "this OVHcloud account has no Public Cloud project"
      : `this OVHcloud account has ${ids.length} Public Cloud projects (${ids.join(", ")})`;
  throw new Error(`${why}: name the project with \`pulumi config set formations:ovhServiceName <project id>\` or OVH_CLOUD_PROJECT_SERVICE`);
}

export function ovhProject(ctx: EmitContext, config = new pulumi.Config("formations"), env: NodeJS.ProcessEnv = process.env): OvhProject {
  const provider = new Provider(ctx.name("ovh"), { endpoint: endpoint(config, env) }, { parent: ctx.parent });
  const opts: pulumi.CustomResourceOptions = { parent: ctx.parent, provider };
  const named = config.get("ovhServiceName") ?? env.OVH_CLOUD_PROJECT_SERVICE;
  if (named) return { opts, serviceName: named };
  const listed = getProjectsOutput({ parent: ctx.parent, provider });
  return { opts, serviceName: listed.projects.apply((ps) => onlyProject(ps)) };
}
