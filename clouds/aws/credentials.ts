/**
 * Where AWS credentials would come from, in the SDK's default chain order, read from the
 * environment and the shared files only (no call to STS or to the instance metadata service):
 * environment keys, web identity, a container's credentials endpoint, a profile in
 * ~/.aws/credentials or ~/.aws/config (keys, SSO, a role, a credential process).
 */
import { join } from "node:path";
import type { CredentialFinding, CredentialProbe } from "../cloud.js";

/** The `[profile]` section names of an ini file (`[profile dev]` in config, `[dev]` in credentials). */
export function iniProfiles(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = new Set();
      out.set(section[1]!, current);
    } else if (current && /^[A-Za-z_]+\s*=/.test(line)) current.add(line.split("=")[0]!.trim().toLowerCase());
  }
  return out;
}

const USABLE = ["aws_access_key_id", "sso_session", "sso_start_url", "role_arn", "credential_process", "web_identity_token_file"];

export async function awsCredentials(p: CredentialProbe): Promise<CredentialFinding> {
  const e = p.env;
  if (e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY)
    return { found: true, source: `environment (AWS_ACCESS_KEY_ID${e.AWS_SESSION_TOKEN ? ", AWS_SESSION_TOKEN" : ""})` };
  if (e.AWS_WEB_IDENTITY_TOKEN_FILE && e.AWS_ROLE_ARN) return { found: true, source: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)" };
  if (e.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || e.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return { found: true, source: "container credentials endpoint (ECS/EKS task role)" };
  const profile = e.AWS_PROFILE || e.AWS_DEFAULT_PROFILE || "default";
  const files = [
    {
      path: e.AWS_SHARED_CREDENTIALS_FILE || join(p.home, ".aws", "credentials"),
      shown: e.AWS_SHARED_CREDENTIALS_FILE ? "$AWS_SHARED_CREDENTIALS_FILE" : "~/.aws/credentials",
    },
    { path: e.AWS_CONFIG_FILE || join(p.home, ".aws", "config"), shown: e.AWS_CONFIG_FILE ? "$AWS_CONFIG_FILE" : "~/.aws/config" },
  ];
  for (const f of files) {
    const text = await p.read(f.path);
    const keys = text === undefined ? undefined : iniProfiles(text).get(profile);
    const how = keys && USABLE.find((k) => keys.has(k));
    if (how)
      return {
        found: true,
        source: `profile '${profile}' in ${f.shown} (${how === "aws_access_key_id" ? "access key" : how.startsWith("sso") ? "SSO: run 'aws sso login' when it expires" : how.replace(/_/g, " ")})`,
      };
  }
  const named = e.AWS_PROFILE
    ? `AWS_PROFILE=${e.AWS_PROFILE} names no profile with credentials in ~/.aws/credentials or ~/.aws/config`
    : "no AWS credentials in the environment or in ~/.aws";
  return {
    found: false,
    fix: `${named}: run 'aws configure' (or 'aws sso login'), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (on EC2, an instance role is used and not checked here)`,
  };
}
