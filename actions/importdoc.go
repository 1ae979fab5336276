package actions

import (
	"fmt"
	"strings"

	"github.com/picarto-bridge/picarto-bridge/sbclient/sbexport"
)

// ImportOptions fills in what the import needs to know about this machine.
type ImportOptions struct {
	BridgePath string // the bridge's executable, for "Picarto Bridge Start"; default "picarto-bridge.exe"
	WorkingDir string // its working directory (where .env is read); "" = the executable's directory
	Version    string // shown as the import's version; default "dev"
}

// DefaultBridgePath is the command of "Picarto Bridge Start" when
// ImportOptions.BridgePath is empty.
const DefaultBridgePath = "picarto-bridge.exe"

// SetGlobalQueue is the blocking queue the import puts SetGlobalAction in, so
// Streamer.bot applies the bridge's global writes one at a time, in order.
const SetGlobalQueue = "Picarto Globals"

const commentColor = "#1da1f2"

// BuildImport returns the Streamer.bot 1.0 export document of the "Picarto"
// group: the SetGlobalAction helper, every "Process Picarto ..." action of
// contract section 4 (a comment listing its arguments; the streamer adds the
// rest) and the control actions (start, restart, stop, send chat, register
// webhooks, register triggers). Ids are derived from the names, so the same
// options give the same document and a re-import replaces the actions.
func BuildImport(opts ImportOptions) sbexport.Document {
	if opts.BridgePath == "" {
		opts.BridgePath = DefaultBridgePath
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	doc := sbexport.NewDocument(sbexport.Meta{
		Name:    "Picarto",
		Author:  "picarto-bridge",
		Version: opts.Version,
		Description: "Actions for picarto-bridge: the Picarto Set Global helper the bridge needs, " +
			"one \"Process Picarto ...\" action per Picarto event, and actions to start, restart " +
			"and stop the bridge, send Picarto chat and register webhooks and triggers.",
	})

	queue := sbexport.Queue{ID: sbexport.ID("queue", SetGlobalQueue), Name: SetGlobalQueue, Blocking: true}
	doc.Data.Queues = []sbexport.Queue{queue}

	setGlobal := sbexport.NewAction(Group, SetGlobalAction, csharp(SetGlobalAction, CSharpSetGlobal,
		"Sets the global 'name' to 'value' (True/False become booleans, integers numbers); 'persisted' is true or false."))
	setGlobal.Queue = queue.ID
	setGlobal.ExcludeFromHistory = true
	setGlobal.ExcludeFromPending = true
	acts := []sbexport.Action{setGlobal}

	for _, k := range AllKinds() {
		acts = append(acts, sbexport.NewAction(Group, ActionName(k), sbexport.Comment(processComment(k), commentColor)))
	}

	start := sbexport.NewAction(Group, BridgeStartAction,
		sbexport.Comment("Starts picarto-bridge. Add the trigger Core > Streamer.bot Started to this action so the "+
			"bridge runs whenever Streamer.bot does. Running it again while the bridge runs restarts it "+
			"(the new one takes over). If the program moved, fix the path in the Run a Program sub-action below.",
			commentColor),
		sbexport.RunProgram(sbexport.Program{Command: opts.BridgePath, Arguments: "run", WorkingDir: opts.WorkingDir}))
	acts = append(acts, start,
		sbexport.NewAction(Group, BridgeRestartAction, csharp(BridgeRestartAction, CSharpBridgeRestart,
			"Asks the running bridge to reconnect and re-read the globals.")),
		sbexport.NewAction(Group, BridgeStopAction, csharp(BridgeStopAction, CSharpBridgeStop,
			"Asks the running bridge to stop.")),
		sbexport.NewAction(Group, SendChatAction, csharp(SendChatAction, CSharpSendChat,
			"Sends the argument 'message' (or 'rawInput') to Picarto chat.")),
		sbexport.NewAction(Group, RegisterWebhooksAction, csharp(RegisterWebhooksAction, CSharpRegisterWebhooks,
			"Asks the bridge to register its Picarto webhooks again.")),
		sbexport.NewAction(Group, RegisterTriggersAction,
			sbexport.Comment("Add the trigger Core > Streamer.bot Started to this action: it puts the Picarto events "+
				"into the trigger menu (Custom > Picarto), where any action can use them.", commentColor),
			csharp(RegisterTriggersAction, CSharpRegisterTriggers,
				"Registers the Picarto custom triggers (category Picarto).")),
	)
	doc.Data.Actions = acts
	return doc
}

// ImportString returns BuildImport(opts) as a Streamer.bot import string, for
// the Import dialog or a .sb file.
func ImportString(opts ImportOptions) (string, error) {
	s, err := sbexport.Encode(BuildImport(opts))
	if err != nil {
		return "", fmt.Errorf("actions: import string: %w", err)
	}
	return s, nil
}

func csharp(name, script, description string) sbexport.SubAction {
	return sbexport.ExecuteCSharp(sbexport.CSharp{
		Name:        name,
		Description: description,
		Source:      mustCSharp(script),
	})
}

// processComment explains a "Process Picarto ..." action and its arguments,
// on one line (Streamer.bot shows a comment as one row).
func processComment(k Kind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "picarto-bridge runs this action for every Picarto event %q; add your sub-actions below. Arguments:",
		TriggerDisplayName(k))
	for i, d := range argDocs(k) {
		sep := ";"
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %%%s%% (%s)", sep, d.name, d.about)
	}
	fmt.Fprintf(&b, ". A value Picarto does not send is left out. Instead of this action, any action can use the "+
		"trigger Custom > %s > %s (run %q first); an alert wired to both runs twice.",
		TriggerCategory, TriggerDisplayName(k), RegisterTriggersAction)
	return b.String()
}
