package actions

import (
	"embed"
	"fmt"
)

// csharpFS holds the C# of the helper and control actions, as real files so
// a test compiles each one with Mono's mcs against a stub of Streamer.bot's
// CPH interface.
//
//go:embed csharp/*.cs
var csharpFS embed.FS

// Names of the embedded C# scripts (see CSharp).
const (
	CSharpSetGlobal        = "SetGlobal.cs"
	CSharpBridgeRestart    = "BridgeRestart.cs"
	CSharpBridgeStop       = "BridgeStop.cs"
	CSharpSendChat         = "SendChat.cs"
	CSharpRegisterWebhooks = "RegisterWebhooks.cs"
	CSharpRegisterTriggers = "RegisterTriggers.cs"
)

// CSharpScripts returns the names of every embedded C# script.
func CSharpScripts() []string {
	return []string{
		CSharpSetGlobal, CSharpBridgeRestart, CSharpBridgeStop,
		CSharpSendChat, CSharpRegisterWebhooks, CSharpRegisterTriggers,
	}
}

// CSharp returns the source of the embedded script name (e.g.
// CSharpSetGlobal): what the import puts into an Execute C# Code sub-action
// and what doctor can show a streamer to paste.
func CSharp(name string) (string, error) {
	b, err := csharpFS.ReadFile("csharp/" + name)
	if err != nil {
		return "", fmt.Errorf("actions: C# script %q: %w", name, err)
	}
	return string(b), nil
}

// mustCSharp is CSharp for the names above, which are embedded at build time.
func mustCSharp(name string) string {
	src, err := CSharp(name)
	if err != nil {
		panic(err)
	}
	return src
}
