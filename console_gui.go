//go:build windowsgui

package main

const noConsole = true
