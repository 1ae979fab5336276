package sbclient

import (
	"errors"
	"fmt"
)

// Sentinel errors. Wrapped errors from this package match them with errors.Is.
var (
	// ErrAuth means Streamer.bot rejected the password (an error reply to
	// Authenticate, or the socket closed before the "ok"), or the server
	// requires a password and none is configured. It is permanent: Run
	// returns an error wrapping it and does not retry.
	ErrAuth = errors.New("streamer.bot authentication failed")

	// ErrNotConnected is returned by a request made while there is no
	// connected session. Requests are never queued.
	ErrNotConnected = errors.New("not connected to streamer.bot")

	// ErrDisconnected is returned by a request whose connection dropped before
	// the reply arrived. The request may or may not have been executed.
	ErrDisconnected = errors.New("streamer.bot connection lost")

	// ErrTimeout is returned by a request that got no reply within
	// Config.RequestTimeout.
	ErrTimeout = errors.New("streamer.bot did not reply in time")

	// ErrGlobalNotFound matches the *RequestError of a GetGlobal whose
	// variable does not exist (Streamer.bot answers a missing variable with an
	// error reply; its text is not parsed, so any GetGlobal error reply
	// matches).
	ErrGlobalNotFound = errors.New("global variable not found")

	// ErrActionNotFound matches the *RequestError of a DoAction that
	// Streamer.bot refused; the only documented cause is an unknown action.
	ErrActionNotFound = errors.New("action not found")
)

// RequestError is an error reply ({"status":"error","error":"..."}) from
// Streamer.bot to a request. The connection is still healthy.
type RequestError struct {
	// Request is the request name, e.g. "DoAction".
	Request string
	// ID is the request id the reply carried.
	ID string
	// Message is Streamer.bot's free-form error text (may be empty).
	Message string
}

// Error implements error; it includes Streamer.bot's message.
func (e *RequestError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("sbclient: %s failed (streamer.bot gave no reason)", e.Request)
	}
	return fmt.Sprintf("sbclient: %s failed: %s", e.Request, e.Message)
}

// Is lets errors.Is(err, ErrGlobalNotFound) match GetGlobal error replies and
// errors.Is(err, ErrActionNotFound) match DoAction error replies.
func (e *RequestError) Is(target error) bool {
	switch target {
	case ErrGlobalNotFound:
		return e.Request == "GetGlobal"
	case ErrActionNotFound:
		return e.Request == "DoAction"
	}
	return false
}
