// IAM resources the adapter creates (EMR roles), by module file (see sdk.ts).
export { InstanceProfile } from "@pulumi/aws/iam/instanceProfile.js";
export { Role } from "@pulumi/aws/iam/role.js";
export { RolePolicy } from "@pulumi/aws/iam/rolePolicy.js";
export { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment.js";
