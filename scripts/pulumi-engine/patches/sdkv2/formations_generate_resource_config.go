package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig answers the RPC that terraform-plugin-go v0.31 added to its server
// interface after Pulumi's fork of this SDK was cut: Pulumi's bridge never calls it (it is for
// `terraform plan -generate-config-out`), so an error diagnostic is the honest answer.
func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "generating configuration is not supported by this build of the provider",
		Detail:   "resource type " + req.TypeName,
	}}}, nil
}
