// Package sbexport reads and writes Streamer.bot's import/export strings
// (the text of the Import dialog and of .sb files; spec streamerbot-ws.md
// section 8): base64 (standard, padded) of a four-byte magic followed by the
// gzip of a UTF-8 JSON document. It also holds the types of the 1.0 document.
package sbexport

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Magic prefixes of the decoded bytes.
const (
	MagicSBAE = "SBAE" // 0.2.x and 1.0.x exports
	MagicNS4E = "NS4E" // 0.1.x exports
)

// MaxDocumentSize bounds the decompressed JSON Decode accepts (64 MiB), so a
// small hostile string cannot expand without limit.
const MaxDocumentSize = 64 << 20

// ErrFormat is wrapped by every Decode error about text that is not an
// import string.
var ErrFormat = errors.New("sbexport: not a Streamer.bot import string")

// Encode returns the import string of doc: doc is encoded as JSON (without
// HTML escaping), gzipped, prefixed with "SBAE" and base64-encoded, with no
// line breaks. The same doc always gives the same string.
func Encode(doc any) (string, error) {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("sbexport: encode document: %w", err)
	}
	body := bytes.TrimSuffix(js.Bytes(), []byte("\n"))

	var raw bytes.Buffer
	raw.WriteString(MagicSBAE)
	zw, err := gzip.NewWriterLevel(&raw, gzip.BestCompression)
	if err != nil {
		return "", fmt.Errorf("sbexport: gzip: %w", err)
	}
	if _, err := zw.Write(body); err != nil {
		return "", fmt.Errorf("sbexport: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("sbexport: gzip: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw.Bytes()), nil
}

// Decode reads an import string: a leading UTF-8 byte order mark and any
// white space (also line breaks inside, as pasting adds them) are ignored,
// and missing base64 padding is tolerated. It returns the magic ("SBAE" or
// "NS4E") and the JSON document, which it checks to be valid JSON.
func Decode(text string) (magic string, js []byte, err error) {
	s := strings.TrimPrefix(strings.TrimSpace(text), "\uFEFF")
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '\v', '\f', '\uFEFF':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", nil, fmt.Errorf("%w: empty", ErrFormat)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "", nil, fmt.Errorf("%w: base64: %w", ErrFormat, err)
		}
	}
	if len(raw) < 4 {
		return "", nil, fmt.Errorf("%w: too short", ErrFormat)
	}
	magic = string(raw[:4])
	if magic != MagicSBAE && magic != MagicNS4E {
		return "", nil, fmt.Errorf("%w: unknown magic %q", ErrFormat, magic)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw[4:]))
	if err != nil {
		return "", nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
	}
	zr.Multistream(false)
	js, err = io.ReadAll(io.LimitReader(zr, MaxDocumentSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
	}
	if len(js) > MaxDocumentSize {
		return "", nil, fmt.Errorf("%w: document over %d bytes", ErrFormat, MaxDocumentSize)
	}
	if !json.Valid(js) {
		return "", nil, fmt.Errorf("%w: document is not valid JSON", ErrFormat)
	}
	return magic, js, nil
}

// DecodeDocument decodes an import string into a 1.0-shaped Document. Older
// documents decode too, but their 0.x fields (sub-actions under "actions")
// are not mapped.
func DecodeDocument(text string) (Document, error) {
	_, js, err := Decode(text)
	if err != nil {
		return Document{}, err
	}
	var doc Document
	if err := json.Unmarshal(js, &doc); err != nil {
		return Document{}, fmt.Errorf("sbexport: decode document: %w", err)
	}
	return doc, nil
}
