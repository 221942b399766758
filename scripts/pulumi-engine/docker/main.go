// pulumi-resource-docker, as this project builds it: the nearest build of Pulumi's Docker provider
// that the Go module proxy allows.
//
// Pulumi's own provider module (github.com/pulumi/pulumi-docker/provider) is not served by the proxy
// this project's machines reach. Its resources are Terraform's Docker provider (kreuzwerker) run
// through Pulumi's Terraform bridge, and both of those are served; this program joins them the way
// pulumi-docker does: the same type tokens (docker:index/container:Container, RemoteImage, ...) and
// property names, which @pulumi/docker's SDK sends. Built from:
//   - github.com/kreuzwerker/terraform-provider-docker at the pseudo-version in go.mod (its go.mod
//     names itself github.com/terraform-providers/terraform-provider-docker, hence the replace);
//   - github.com/pulumi/pulumi-terraform-bridge/v3 and Pulumi's fork of terraform-plugin-sdk/v2,
//     patched at build time (scripts/pulumi-engine/patches/sdkv2) with the one RPC the fork lacks
//     against the terraform-plugin-go that kreuzwerker needs.
//
// Not bridged: the resources of kreuzwerker's plugin-framework half (docker_compose, buildx data
// sources) and pulumi-docker's native `docker.Image` build resource: this project uses neither.
//
// This module's path sits under the upstream provider's, because Go lets only code under that path
// import its internal/provider package: that import is the "shim" pulumi-docker patches in.
//
// One binary, two modes: `tfgen schema --out DIR` writes the Pulumi schema and bridge metadata
// (scripts/pulumi-engine.sh runs it, then builds again with them embedded); otherwise it serves.
package main

import (
	_ "embed"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

var version = "5.2.0"

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func info() tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            shimv2.NewProvider(provider.New(version)()),
		Name:         "docker",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{Value: "unix:///var/run/docker.sock", EnvVars: []string{"DOCKER_HOST"}}},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_image": {Tok: "docker:index/remoteImage:RemoteImage"},
			"docker_container": {
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: "docker:index/getRemoteImage:getRemoteImage"},
		},
	}
	p.MustComputeTokens(tokens.SingleModule("docker_", "index", tokens.MakeStandard("docker")))
	return p
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "tfgen" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
		tfgen.Main("docker", version, info())
		return
	}
	tfbridge.Main("docker", version, info(), schema)
}
