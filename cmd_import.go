package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// runImport prints (or writes with --out) the Streamer.bot import string that
// creates the Picarto group of actions.
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write a .sb file instead of printing the import string")
	exe := fs.String("exe", "", `the program "Picarto Bridge Start" runs (default: this program's own path)`)
	wd := fs.String("workdir", "", "its working directory, where .env is read (default: the current directory)")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	if *exe == "" {
		if self, err := os.Executable(); err == nil {
			*exe = self
		}
	}
	if *wd == "" {
		*wd, _ = os.Getwd()
	}
	text, err := actions.ImportString(actions.ImportOptions{BridgePath: *exe, WorkingDir: *wd, Version: version})
	if err != nil {
		fmt.Fprintln(stderr, "picarto-bridge: import:", err)
		return exitFatal
	}
	if *out == "" {
		fmt.Fprintln(stdout, text)
		return exitOK
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		fmt.Fprintln(stderr, "picarto-bridge: import:", err)
		return exitFatal
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "wrote %s: in Streamer.bot click Import and drop this file into the Import String field\n", abs)
	return exitOK
}
