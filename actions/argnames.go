package actions

// argDoc is one argument as the import's comments and ArgNames list it.
type argDoc struct{ name, about string }

var commonArgs = []argDoc{
	{ArgUserType, "always picarto"},
	{ArgFromPicarto, "always True"},
	{ArgPicartoEvent, "the event kind"},
	{ArgPicartoEventID, "stable event id"},
	{ArgIsTest, "True for test events"},
	{ArgCreatedAt, "RFC 3339 time"},
}

var userArgs = []argDoc{
	{ArgUser, "display name"},
	{ArgUserName, "login, lower case"},
	{ArgUserID, "Picarto user id"},
	{ArgAvatar, "profile picture URL"},
	{ArgUserProfileImage, "same URL as avatar"},
}

// kindArgs are the arguments of contract section 4 beyond the common ones.
var kindArgs = map[Kind][]argDoc{
	KindFollow:      {{ArgFollowerCount, "followers now"}},
	KindUnfollow:    {{ArgFollowerCount, "followers now"}},
	KindSubscribe:   {{ArgSubCount, "subscribers now"}, {ArgTier, "tier 1, tier 2 or tier 3"}, {ArgMonthsSubscribed, "months"}, {ArgIsGift, "True for a gift"}, {ArgGiftCount, "subscriptions gifted"}},
	KindUnsubscribe: {{ArgSubCount, "subscribers now"}},
	KindOnline:      {{ArgTitle, "stream title"}, {ArgCategory, "category"}, {ArgViewers, "viewers"}, {ArgStartedAt, "RFC 3339 time"}},
	KindOffline:     {{ArgEndedAt, "RFC 3339 time"}, {ArgDuration, "stream length in seconds"}},
	KindEventStart:  {{ArgTitle, "event title"}},
	KindEventEnd:    {{ArgTitle, "event title"}},
	KindChat:        {{ArgMessage, "the text"}, {ArgRawInput, "same text"}, {ArgMsgID, "message id"}, {ArgColor, "name colour"}, {ArgIsStreamer, "True/False"}, {ArgIsBot, "True/False"}, {ArgIsModerator, "True/False"}},
	KindTip:         {{ArgAmount, "Kudos"}, {ArgMessage, "the tip's message"}},
	KindRaid:        {{ArgViewers, "raiding viewers, when known"}},
}

// hasUser reports whether events of kind k are about a user (the user
// arguments; for a raid, the raider).
func hasUser(k Kind) bool {
	switch k {
	case KindFollow, KindUnfollow, KindSubscribe, KindUnsubscribe, KindChat, KindTip, KindRaid:
		return true
	}
	return false
}

func argDocs(k Kind) []argDoc {
	docs := append([]argDoc(nil), commonArgs...)
	if hasUser(k) {
		docs = append(docs, userArgs...)
	}
	return append(docs, kindArgs[k]...)
}

// ArgNames returns the names of the arguments an event of kind k may carry
// (contract section 4): the common ones, the user ones for user events, and
// the kind's own. An argument whose value is unknown is left out of Args.
func ArgNames(k Kind) []string {
	docs := argDocs(k)
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.name
	}
	return out
}
