//go:build !windowsgui

package main

// noConsole is true in the Windows no-console build (-tags windowsgui), whose
// logs go to a file only.
const noConsole = false
