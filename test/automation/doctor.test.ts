/**
 * Layer 1 (pure checks over a given environment and files; no network, no engine): `formations
 * doctor` finds each provider's credentials and says where from without printing a secret, says
 * the one-line fix of what is missing, and exits nonzero only when something required is missing.
 */
import { describe, expect, it } from "vitest";
import { doctor, type DoctorOptions } from "../../automation/doctor.js";
import { doctorCommand, parseProviders, renderDoctor } from "../../cli/doctor.js";
import { awsCredentials, iniProfiles } from "../../clouds/aws/credentials.js";
import { gcpCredentials } from "../../clouds/gcp/credentials.js";
import { azureCredentials } from "../../clouds/azure/credentials.js";
import { openstackCredentials } from "../../clouds/openstack/credentials.js";
import type { CredentialProbe } from "../../clouds/cloud.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function probe(env: NodeJS.ProcessEnv, files: Record<string, string> = {}): CredentialProbe {
  return { env, home: "/home/u", cwd: "/work", read: async (p) => files[p] };
}

describe("AWS credentials", () => {
  it("environment keys, named without their value", async () => {
    const f = await awsCredentials(probe({ AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: SECRET }));
    expect(f).toEqual({ found: true, source: "environment (AWS_ACCESS_KEY_ID)" });
    expect(JSON.stringify(f)).not.toContain(SECRET);
  });
  it("a profile in ~/.aws/credentials, an SSO profile in ~/.aws/config", async () => {
    const creds = `[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ${SECRET}\n`;
    expect(await awsCredentials(probe({}, { "/home/u/.aws/credentials": creds }))).toEqual({
      found: true,
      source: "profile 'default' in ~/.aws/credentials (access key)",
    });
    const config = "[profile dev]\nsso_session = corp\nregion = eu-west-1\n";
    expect(await awsCredentials(probe({ AWS_PROFILE: "dev" }, { "/home/u/.aws/config": config }))).toEqual({
      found: true,
      source: "profile 'dev' in ~/.aws/config (SSO: run 'aws sso login' when it expires)",
    });
  });
  it("web identity and a container's endpoint", async () => {
    expect((await awsCredentials(probe({ AWS_WEB_IDENTITY_TOKEN_FILE: "/t", AWS_ROLE_ARN: "arn:aws:iam::1:role/r" }))).source).toBe(
      "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
    );
    expect((await awsCredentials(probe({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/creds" }))).source).toBe(
      "container credentials endpoint (ECS/EKS task role)",
    );
  });
  it("nothing: the fix in one line; a named profile without credentials is named", async () => {
    expect(await awsCredentials(probe({}))).toEqual({
      found: false,
      fix: "no AWS credentials in the environment or in ~/.aws: run 'aws configure' (or 'aws sso login'), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (on EC2, an instance role is used and not checked here)",
    });
    expect((await awsCredentials(probe({ AWS_PROFILE: "prod" }, { "/home/u/.aws/config": "[profile dev]\nregion = x\n" }))).fix).toMatch(
      /^AWS_PROFILE=prod names no profile with credentials/,
    );
  });
  it("ini sections of both files", () => {
    expect([...iniProfiles("[default]\na=1\n[profile dev]\nrole_arn = x\n").keys()]).toEqual(["default", "dev"]);
  });
});

describe("Google credentials", () => {
  it("GOOGLE_APPLICATION_CREDENTIALS names its kind, never the key", async () => {
    const key = JSON.stringify({ type: "service_account", private_key: "-----BEGIN PRIVATE KEY-----abc" });
    const f = await gcpCredentials(probe({ GOOGLE_APPLICATION_CREDENTIALS: "/k.json" }, { "/k.json": key }));
    expect(f).toEqual({ found: true, source: "GOOGLE_APPLICATION_CREDENTIALS (service-account key)" });
    expect((await gcpCredentials(probe({ GOOGLE_APPLICATION_CREDENTIALS: "/missing.json" }))).found).toBe(false);
  });
  it("the gcloud application-default login", async () => {
    const adc = JSON.stringify({ type: "authorized_user", refresh_token: "1//secret" });
    expect(await gcpCredentials(probe({}, { "/home/u/.config/gcloud/application_default_credentials.json": adc }))).toEqual({
      found: true,
      source: "gcloud application-default login (~/.config/gcloud/application_default_credentials.json, user login)",
    });
    expect((await gcpCredentials(probe({}))).fix).toMatch(/^no Google credentials: run 'gcloud auth application-default login'/);
  });
});

describe("Azure credentials", () => {
  it("service principal, managed identity, CLI login; a missing subscription is said", async () => {
    expect(await azureCredentials(probe({ AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: SECRET, AZURE_SUBSCRIPTION_ID: "s" }))).toEqual({
      found: true,
      source: "environment (service principal: AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
    });
    expect(await azureCredentials(probe({ IDENTITY_ENDPOINT: "http://169.254.169.254" }))).toEqual({
      found: true,
      source: "managed identity (IDENTITY_ENDPOINT)",
      fix: "set AZURE_SUBSCRIPTION_ID (or 'az account set --subscription ...') so the session knows which subscription to use",
    });
    const profile = JSON.stringify({ subscriptions: [{ id: "s1", isDefault: true }] });
    expect(await azureCredentials(probe({}, { "/home/u/.azure/azureProfile.json": profile }))).toEqual({
      found: true,
      source: "Azure CLI login (~/.azure, 1 subscription(s), a default set)",
    });
    expect((await azureCredentials(probe({}))).fix).toMatch(/^no Azure credentials: run 'az login'/);
  });
});

describe("OpenStack credentials", () => {
  it("OS_CLOUD in clouds.yaml, the openrc variables, and what is wrong otherwise", async () => {
    const yaml = "clouds:\n  ovh:\n    auth:\n      auth_url: https://auth.example/v3\n      password: hunter2\n";
    expect(await openstackCredentials(probe({ OS_CLOUD: "ovh" }, { "/home/u/.config/openstack/clouds.yaml": yaml }))).toEqual({
      found: true,
      source: "clouds.yaml (/home/u/.config/openstack/clouds.yaml, cloud 'ovh')",
    });
    expect((await openstackCredentials(probe({ OS_CLOUD: "other" }, { "/work/clouds.yaml": yaml }))).fix).toBe(
      "OS_CLOUD=other, but /work/clouds.yaml has no cloud 'other': add it, or set OS_CLOUD to one it has",
    );
    expect(await openstackCredentials(probe({ OS_AUTH_URL: "https://k/v3", OS_USERNAME: "u", OS_PASSWORD: "hunter2" }))).toEqual({
      found: true,
      source: "environment (OS_AUTH_URL, password)",
    });
    expect((await openstackCredentials(probe({}))).found).toBe(false);
  });
});

/** A doctor over a fixed world: a CLI found, plugins present, a passphrase set, aws credentials only. */
function world(over: Partial<DoctorOptions> = {}): DoctorOptions {
  return {
    env: { PULUMI_CONFIG_PASSPHRASE: "p4ss", FORMATIONS_HOME: "/home/u/.formations", AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: SECRET },
    home: "/home/u",
    cwd: "/work",
    read: async () => undefined,
    locate: async () => ({ source: "PATH", path: "/usr/bin/pulumi" }),
    hasPlugin: async () => true,
    credentials: async (p, pr) =>
      p === "docker"
        ? { found: false, fix: "no Docker engine answers at unix:///var/run/docker.sock: start Docker" }
        : (await import("../../clouds/index.js")).cloudOf(p).credentials(pr),
    ...over,
  };
}

describe("doctor", () => {
  it("ready for aws: every check listed, none missing, no secret printed", async () => {
    const r = await doctor(world({ providers: ["aws"] }));
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.name, c.ok, c.required])).toEqual([
      ["pulumi CLI", true, true],
      ["plugin aws", true, false],
      ["state backend", true, true],
      ["secrets", true, true],
      ["credentials aws", true, true],
    ]);
    expect(r.checks.find((c) => c.name === "secrets")!.detail).toBe("passphrase from PULUMI_CONFIG_PASSPHRASE");
    const text = renderDoctor(r);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("p4ss");
    expect(text.split("\n").at(-1)).toBe("ready for aws");
  });

  it("reports every missing prerequisite at once, each with its fix; exit 3", async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), json: false, color: false };
    const opts = world({ env: { FORMATIONS_HOME: "/home/u/.formations" }, locate: async () => undefined, hasPlugin: async () => false });
    const code = await doctorCommand({ provider: ["gcp,docker"] }, io as never, opts);
    expect(code).toBe(3);
    const text = out.join("\n");
    expect(text).toMatch(/MISSING\s+pulumi CLI/);
    expect(text).toMatch(/MISSING\s+secrets/);
    expect(text).toMatch(/MISSING\s+credentials gcp/);
    expect(text).toMatch(/MISSING\s+docker engine/);
    expect(text).toMatch(/missing\s+plugin gcp/);
    expect(text).toContain(
      "  secrets: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE, or run a session verb with --create-passphrase (writes /home/u/.formations/passphrase, mode 0600)",
    );
    expect(text).toContain("  plugin gcp: pulumi plugin install resource gcp ");
    expect(text.split("\n").at(-1)).toBe("not ready for gcp, docker: pulumi CLI, secrets, credentials gcp, docker engine missing");
  });

  it("without --provider every provider is listed, none of their checks required", async () => {
    const r = await doctor(world());
    expect(r.providers).toEqual([]);
    expect(r.checks.filter((c) => c.name.startsWith("credentials") || c.name === "docker engine").map((c) => [c.name, c.ok, c.required])).toEqual([
      ["credentials aws", true, false],
      ["credentials azure", false, false],
      ["credentials gcp", false, false],
      ["credentials openstack", false, false],
      ["credentials ovh", false, false],
      ["docker engine", false, false],
    ]);
    expect(r.ok).toBe(true);
  });

  it("--json is one document; an unknown provider is a usage error", async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), json: true, color: false };
    expect(await doctorCommand({ provider: ["aws"], json: true }, io as never, world())).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ providers: ["aws"], ok: true });
    expect(() => parseProviders(["aws,ovh2"])).toThrow("unknown provider 'ovh2'");
  });
});
