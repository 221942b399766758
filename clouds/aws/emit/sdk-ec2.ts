// EC2 resources the adapter creates, by module file (see sdk.ts).
export { Eip } from "@pulumi/aws/ec2/eip.js";
export { Instance, type InstanceArgs } from "@pulumi/aws/ec2/instance.js";
export { InternetGateway } from "@pulumi/aws/ec2/internetGateway.js";
export { KeyPair } from "@pulumi/aws/ec2/keyPair.js";
export { NatGateway } from "@pulumi/aws/ec2/natGateway.js";
export { RouteTable } from "@pulumi/aws/ec2/routeTable.js";
export { RouteTableAssociation } from "@pulumi/aws/ec2/routeTableAssociation.js";
export { SecurityGroup, type SecurityGroupArgs } from "@pulumi/aws/ec2/securityGroup.js";
export { SecurityGroupRule } from "@pulumi/aws/ec2/securityGroupRule.js";
export { Subnet } from "@pulumi/aws/ec2/subnet.js";
export { Vpc } from "@pulumi/aws/ec2/vpc.js";
export { getAmiOutput } from "@pulumi/aws/ec2/getAmi.js";
export { getSubnetsOutput } from "@pulumi/aws/ec2/getSubnets.js";
