/**
 * Who runs an operation, for the journal: the CI identity when a pipeline runs it (user, project
 * and run, so an entry leads back to the run), else user@host. FORMATIONS_ACTOR overrides both.
 */
import { hostname, userInfo } from "node:os";

type Env = Readonly<Record<string, string | undefined>>;

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers run with an arbitrary uid).
    return process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? "unknown"}`;
  }
}

/** The journal's `actor`: FORMATIONS_ACTOR, a CI identity from the environment, or user@host. */
export function actor(env: Env = process.env, local: () => string = () => `${localUser()}@${hostname()}`): string {
  if (env.FORMATIONS_ACTOR) return env.FORMATIONS_ACTOR;
  if (env.GITHUB_ACTIONS === "true") return `github:${env.GITHUB_ACTOR ?? "unknown"}@${env.GITHUB_REPOSITORY ?? "?"}#${env.GITHUB_RUN_ID ?? "?"}`;
  if (env.GITLAB_CI === "true") return `gitlab:${env.GITLAB_USER_LOGIN ?? "unknown"}@${env.CI_PROJECT_PATH ?? "?"}#${env.CI_PIPELINE_ID ?? "?"}`;
  if (env.TF_BUILD === "True") return `azure-pipelines:${env.BUILD_REQUESTEDFOR ?? "unknown"}@${env.BUILD_REPOSITORY_NAME ?? "?"}#${env.BUILD_BUILDID ?? "?"}`;
  if (env.JENKINS_URL) return `jenkins:${env.BUILD_USER_ID ?? "unknown"}@${env.JOB_NAME ?? "?"}#${env.BUILD_NUMBER ?? "?"}`;
  if (env.CI === "true" || env.CI === "1") return `ci:${local()}`;
  return local();
}
