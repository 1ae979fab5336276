package actions_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbexport"
)

// ImportString is what "picarto-bridge import" prints: paste it into
// Streamer.bot's Import dialog (or save it as a .sb file).
func ExampleImportString() {
	s, err := actions.ImportString(actions.ImportOptions{
		BridgePath: `C:\Tools\picarto-bridge\picarto-bridge.exe`,
		WorkingDir: `C:\Tools\picarto-bridge`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	doc, err := sbexport.DecodeDocument(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(s, "U0JBRR"), doc.Version)
	for _, a := range doc.Data.Actions[:3] {
		fmt.Println(a.Group, "/", a.Name)
	}
	// Output:
	// true 23
	// Picarto / Picarto Set Global
	// Picarto / Process Picarto Follow
	// Picarto / Process Picarto Unfollow
}

func ExampleAppendArgsJSON() {
	followers := 101
	e := actions.Event{
		Kind:          actions.KindFollow,
		ID:            "follow:4242",
		CreatedAt:     time.Date(2025, 3, 1, 19, 15, 30, 0, time.UTC),
		User:          &actions.User{Display: "Alice", Login: "alice", ID: "4242"},
		FollowerCount: &followers,
	}
	fmt.Println(actions.ActionName(e.Kind), actions.TriggerEventName(e.Kind))
	fmt.Println(string(actions.AppendArgsJSON(nil, e)))
	// Output:
	// Process Picarto Follow picartoFollow
	// {"createdAt":"2025-03-01T19:15:30Z","followerCount":101,"fromPicarto":true,"isTest":false,"picartoEvent":"follow","picartoEventId":"follow:4242","user":"Alice","userId":"4242","userName":"alice","userType":"picarto"}
}

func ExampleSetGlobalArgs() {
	args := actions.SetGlobalArgs(actions.GlobalOnline, true, actions.Persisted(actions.GlobalOnline))
	fmt.Println(actions.SetGlobalAction, args["name"], args["value"], args["persisted"])
	// Output:
	// Picarto Set Global picartoOnline True false
}
