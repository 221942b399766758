// pulumi-resource-random, as this project builds it: the nearest build of Pulumi's random provider
// that the Go module proxy allows.
//
// Pulumi's own provider module (github.com/pulumi/pulumi-random/provider) is not served by the proxy
// this project's machines reach. Its resources are Terraform's random provider run through Pulumi's
// Terraform bridge (plugin-framework flavour); the bridge is served, and so is the random provider
// at the commit the bridge itself tests against (the pseudo-version in go.mod, Terraform random
// 3.6.x). This program joins them with pulumi-random's type tokens (random:index/randomPassword:
// RandomPassword, RandomBytes, ...) and property names, which @pulumi/random's SDK sends.
//
// This module's path sits under the upstream provider's, because Go lets only code under that path
// import its internal/provider package.
//
// One binary, two modes: `tfgen schema --out DIR` writes the Pulumi schema and bridge metadata
// (scripts/pulumi-engine.sh runs it, then builds again with them embedded); otherwise it serves.
package main

import (
	"context"
	_ "embed"
	"errors"
	"os"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

var version = "4.21.2"

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func info() tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(provider.New()),
		Name:         "random",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_bytes": {ComputeID: bytesID},
		},
	}
	p.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}))
	return p
}

// bytesID: random_bytes has no id attribute; its value is its identity.
func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: no base64 in state")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes: base64 is not a string")
	}
	return resource.ID(v.StringValue()), nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "tfgen" {
		os.Args = append(os.Args[:1], os.Args[2:]...)
		pftfgen.Main("random", info())
		return
	}
	pf.Main(context.Background(), "random", info(), pf.ProviderMetadata{PackageSchema: schema})
}
