package main

import (
	"context"
	"fmt"
	"io"
)

func runDoctor(ctx context.Context, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "picarto-bridge: doctor is not available yet")
	return exitFatal
}
