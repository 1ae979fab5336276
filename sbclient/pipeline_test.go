package sbclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/sbclient"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

func TestPipelineKeepsOrderAndPerCallResults(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	srv.AddAction("a")
	srv.AddCodeTrigger("T", "t", "Cat")
	h := start(t, fastConfig(t, srv.URL()))
	h.waitConnect(t)

	var calls []sbclient.Call
	for i := range 40 {
		args := json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
		switch {
		case i%10 == 3:
			calls = append(calls, sbclient.Call{Action: sbclient.ActionRef{Name: "missing"}, Args: args})
		case i%10 == 7:
			calls = append(calls, sbclient.Call{Trigger: "t", Args: args})
		default:
			calls = append(calls, sbclient.Call{Action: sbclient.ActionRef{Name: "a"}, Args: args})
		}
	}
	calls = append(calls, sbclient.Call{}) // no action: refused locally
	errs := h.c.Pipeline(t.Context(), calls)
	for i, err := range errs[:40] {
		var re *sbclient.RequestError
		switch {
		case i%10 == 3:
			if !errors.As(err, &re) {
				t.Errorf("call %d (missing action) = %v, want *RequestError", i, err)
			}
		default:
			if err != nil {
				t.Errorf("call %d = %v", i, err)
			}
		}
	}
	if errs[40] == nil {
		t.Error("a call without action was sent")
	}
	runs := srv.ActionRuns()
	want := 0
	for _, r := range runs {
		for want%10 == 3 || want%10 == 7 {
			want++
		}
		if n := r.Args["n"]; fmt.Sprint(n) != fmt.Sprint(want) {
			t.Fatalf("runs out of order: got n=%v, want %d", n, want)
		}
		want++
	}
	if len(runs) != 32 || len(srv.TriggerRuns()) != 4 {
		t.Fatalf("%d action runs and %d trigger runs, want 32 and 4", len(runs), len(srv.TriggerRuns()))
	}
}

func TestPipelineDropFailsTheRestQuickly(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	srv.AddAction("a")
	h := start(t, fastConfig(t, srv.URL()))
	h.waitConnect(t)
	srv.HoldReplies(1000)
	calls := make([]sbclient.Call, 10)
	for i := range calls {
		calls[i] = sbclient.Call{Action: sbclient.ActionRef{Name: "a"}}
	}
	errc := make(chan []error, 1)
	go func() { errc <- h.c.Pipeline(context.Background(), calls) }()
	waitFor(t, srv, "all ten received", func() bool { return len(srv.Requests()) >= 10 })
	srv.HoldReplies(0)
	srv.DropAll()
	select {
	case errs := <-errc:
		for i, err := range errs {
			if !errors.Is(err, sbclient.ErrDisconnected) {
				t.Fatalf("call %d = %v, want ErrDisconnected", i, err)
			}
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Pipeline still blocked after the drop")
	}
}

func TestPipelineNotConnected(t *testing.T) {
	c := sbclient.New(sbclient.Config{URL: "ws://127.0.0.1:1/"})
	errs := c.Pipeline(t.Context(), []sbclient.Call{{Action: sbclient.ActionRef{Name: "a"}}})
	if !errors.Is(errs[0], sbclient.ErrNotConnected) {
		t.Fatalf("got %v", errs[0])
	}
}
