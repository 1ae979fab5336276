package sbclient

// AppendJSONStringForTest exposes appendString to the external tests.
import "github.com/picarto-bridge/picarto-bridge/internal/jsonstr"

func AppendJSONStringForTest(s string) []byte { return jsonstr.Append(nil, s) }
