// cni-runner: a CNI runtime for the topology tests, built on libcni (Debian's
// golang-github-appc-cni-dev), the reference library that containerd, CRI-O and podman use.
// It runs a network configuration list as they do: ADD through every plugin in order with the
// previous plugin's result as prevResult, result cached; CHECK and DEL (in reverse order) with
// the cached result as prevResult.
//
//	cni-runner add|check|del CONFLIST CONTAINERID NETNS IFNAME
//
// Environment: CNI_PATH (plugin directories, colon-separated), CNI_CACHE_DIR (the result
// cache), CAP_ARGS (capability arguments, JSON: {"portMappings": [...]}). ADD prints the
// result.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containernetworking/cni/libcni"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cni-runner: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: cni-runner add|check|del CONFLIST CONTAINERID NETNS IFNAME")
	}
	command, file, id, netns, ifname := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	list, err := libcni.ConfListFromFile(file)
	if err != nil {
		fail("%s: %v", file, err)
	}
	cacheDir := os.Getenv("CNI_CACHE_DIR")
	if cacheDir == "" {
		fail("CNI_CACHE_DIR is not set")
	}
	rt := &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       netns,
		IfName:      ifname,
		CacheDir:    cacheDir,
	}
	if caps := os.Getenv("CAP_ARGS"); caps != "" {
		if err := json.Unmarshal([]byte(caps), &rt.CapabilityArgs); err != nil {
			fail("CAP_ARGS: %v", err)
		}
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), cacheDir, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch command {
	case "add":
		result, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail("ADD: %v", err)
		}
		if err := result.Print(); err != nil {
			fail("printing the result: %v", err)
		}
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			fail("CHECK: %v", err)
		}
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			fail("DEL: %v", err)
		}
	default:
		fail("unknown command %q", command)
	}
}
