// EFS resources the adapter creates (HPC shared storage), by module file (see sdk.ts).
export { FileSystem } from "@pulumi/aws/efs/fileSystem.js";
export { MountTarget } from "@pulumi/aws/efs/mountTarget.js";
