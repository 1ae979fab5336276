using System;

// Picarto Register Webhooks: asks picarto-bridge to (re)register its
// Picarto webhooks (one per type, at the current picartoWebhookUrl).
// The bridge listens for WebSocket broadcasts with a "picartoBridge" key.
public class CPHInline
{
    public bool Execute()
    {
        CPH.WebsocketBroadcastJson("{\"picartoBridge\":\"register-webhooks\"}");
        return true;
    }
}
