/**
 * Per test file of the moto layer: points the AWS SDK at moto through its ordinary configuration
 * (AWS_ENDPOINT_URL, fake static credentials, a region), exactly as a user would point the AWS
 * CLI at another endpoint. Nothing in product code knows about moto.
 */
import { inject } from "vitest";

process.env.AWS_ENDPOINT_URL = inject("motoEndpoint");
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
process.env.AWS_REGION = "eu-west-1";
// Nothing from this machine's own AWS setup (profiles, SSO, a session token) may reach moto or leak.
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_DEFAULT_PROFILE;
process.env.AWS_CONFIG_FILE = "/dev/null";
process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null";
process.env.AWS_EC2_METADATA_DISABLED = "true";
