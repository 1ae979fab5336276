package bridge

import "testing"

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		data string
		want command
		ok   bool
	}{
		{`{"picartoBridge":"restart"}`, command{Name: "restart"}, true},
		{`{"picartoBridge":"Stop"}`, command{Name: "stop"}, true},
		{`{"picartoBridge":"chat","message":"hi there"}`, command{Name: "chat", Message: "hi there"}, true},
		{`{"data":"{\"picartoBridge\":\"register-webhooks\"}"}`, command{Name: "register-webhooks"}, true},
		{`{"event":"mediaPlayer","action":"pause"}`, command{}, false},
		{`{"picartoBridge":5}`, command{}, false},
		{`"restart"`, command{}, false},
		{`not json`, command{}, false},
		{`{"data":"not json"}`, command{}, false},
	} {
		got, ok := parseCommand([]byte(tc.data))
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCommand(%s) = %+v, %v; want %+v, %v", tc.data, got, ok, tc.want, tc.ok)
		}
	}
}
