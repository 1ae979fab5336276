package sbclient

// AppendJSONStringForTest exposes appendString to the external tests.
func AppendJSONStringForTest(s string) []byte { return appendString(nil, s) }
