package sbclient_test

import (
	"encoding/json"
	"testing"

	"github.com/picarto-bridge/picarto-bridge/sbclient"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// BenchmarkDoAction measures one DoAction round trip against sbtest over
// loopback (client and fake in this process, so allocs/op counts both).
func BenchmarkDoAction(b *testing.B) {
	srv := newServer(b, sbtest.Options{Password: "pw"})
	srv.AddAction("Process Picarto Follow")
	cfg := fastConfig(b, srv.URL())
	cfg.Password = "pw"
	h := start(b, cfg)
	h.waitConnect(b)
	ref := sbclient.ActionRef{Name: "Process Picarto Follow"}
	args := json.RawMessage(`{"userType":"picarto","fromPicarto":true,"picartoEvent":"follow","user":"Bob","userName":"bob","followerCount":42}`)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := h.c.DoActionJSON(ctx, ref, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDoActionParallel runs many DoActions in flight on one socket.
func BenchmarkDoActionParallel(b *testing.B) {
	srv := newServer(b, sbtest.Options{})
	srv.AddAction("a")
	h := start(b, fastConfig(b, srv.URL()))
	h.waitConnect(b)
	ref := sbclient.ActionRef{Name: "a"}
	args := json.RawMessage(`{"user":"Bob"}`)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := h.c.DoActionJSON(ctx, ref, args); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
