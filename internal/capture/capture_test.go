package capture

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func TestWriterKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter(dir, 10, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for i := range 40 {
		w.Add("alerts", []byte(fmt.Sprintf(`{"n":%d}`, i)), i%2 == 0) // 40 < queue size: none dropped
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs, err := Read(filepath.Join(dir, "alerts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 10 || len(recs) > 12 {
		t.Fatalf("%d records kept, want 10..12", len(recs))
	}
	if last := recs[len(recs)-1]; last.Frame != `{"n":39}` || last.Source != "alerts" {
		t.Fatalf("last record %+v", last)
	}
}
