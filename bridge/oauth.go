package bridge

import "net/http"

// oauthRoutes adds the "Connect Picarto" sign-in (contract section 6).
func (b *Bridge) oauthRoutes(mux *http.ServeMux) {}

func (b *Bridge) oauthAvailable() bool { return false }
