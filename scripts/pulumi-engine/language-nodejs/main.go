// pulumi-language-nodejs, as this project builds it.
//
// Pulumi's own Node.js language host is a Go module of its own
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) that the Go module proxy
// reachable from this project's machines does not serve. This is the nearest thing we can build:
// a language host written against the same gRPC contract (sdk/v3's pulumirpc), doing what a
// compiled JavaScript program needs: report the resource plugins the program's node_modules
// declare, and run the program through the SDK's own runner (@pulumi/pulumi/cmd/run) with the
// arguments and environment that runner reads. Not supported (the engine is told
// "unimplemented"): TypeScript through ts-node, policy packs, package generation, templates.
//
// The Automation API's inline programs do not use a language host at all (the SDK serves the
// language runtime in-process); this binary is for `pulumi up` on a Pulumi.yaml.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is stamped at build time (-ldflags -X main.version=...): the @pulumi/pulumi version
// this host was built for.
var version = "dev"

// exitAfterLoggedError is the runner's exit code when it has already shown the user the error
// (@pulumi/pulumi/cmd/run: nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitAfterLoggedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
}

func main() {
	flag.String("tracing", "", "ignored: tracing is not supported by this host")
	flag.String("root", "", "ignored: the engine sends the root in the handshake")
	flag.Parse()
	h := &host{}
	if flag.NArg() > 0 {
		h.engineAddress = flag.Arg(0)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// packageJSON holds the fields of a package.json that say whether it ships a resource plugin.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// requiredPlugins lists the resource plugins declared by the packages installed directly in the
// program's node_modules (and their scopes): the project's own dependencies, which is where
// @pulumi/* providers are installed by npm. Nested copies are not searched.
func requiredPlugins(programDir string) ([]*pulumirpc.PackageDependency, error) {
	modules, err := findUp(programDir, "node_modules")
	if err != nil {
		return nil, nil // no node_modules: nothing is required; `run` will say what is missing
	}
	var dirs []string
	entries, err := os.ReadDir(modules)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		p := filepath.Join(modules, e.Name())
		if strings.HasPrefix(e.Name(), "@") {
			scoped, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range scoped {
				dirs = append(dirs, filepath.Join(p, s.Name()))
			}
			continue
		}
		dirs = append(dirs, p)
	}
	var deps []*pulumirpc.PackageDependency
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "package.json"))
		if err != nil {
			continue
		}
		var pkg packageJSON
		if json.Unmarshal(b, &pkg) != nil || !pkg.Pulumi.Resource {
			continue
		}
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
		}
		v := pkg.Pulumi.Version
		if v == "" {
			v = pkg.Version
		}
		if v != "" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		deps = append(deps, &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: v, Server: pkg.Pulumi.Server})
	}
	return deps, nil
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPlugins(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPlugins(programDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	out := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, d := range deps {
		out = append(out, &pulumirpc.PluginDependency{Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: out}, nil
}

// findUp returns dir/name or the nearest ancestor's, as Node's module resolution would.
func findUp(dir, name string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(abs, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", fmt.Errorf("%s not found above %s", name, dir)
		}
		abs = parent
	}
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	runner, err := findUp(dir, filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run"))
	if err != nil {
		return &pulumirpc.RunResponse{Error: "the Pulumi SDK for Node.js is not installed next to the program " +
			"(no node_modules/@pulumi/pulumi above " + dir + "): run `npm ci` first"}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node is not on PATH: install Node.js 20 or newer"}, nil
	}
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := []string{runner}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	if info != nil {
		add("root-directory", info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	program := "."
	if info != nil && info.GetEntryPoint() != "" {
		program = filepath.Join(info.GetProgramDirectory(), info.GetEntryPoint())
	} else if req.GetProgram() != "" {
		program = req.GetProgram()
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
		"PULUMI_NODEJS_TYPESCRIPT=false",
	)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.ExitStatus() == exitAfterLoggedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program exited with code %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: "could not start node: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := requiredPlugins(programDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	out := []*pulumirpc.DependencyInfo{}
	for _, d := range deps {
		out = append(out, &pulumirpc.DependencyInfo{Name: "@pulumi/" + d.Name, Version: strings.TrimPrefix(d.Version, "v")})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: out}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.AboutResponse{}, nil
	}
	out, _ := exec.Command(node, "--version").Output()
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// InstallDependencies is a no-op: this project's dependencies are installed by `npm ci`.
func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil
}
