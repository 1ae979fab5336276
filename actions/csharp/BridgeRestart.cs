using System;

// Picarto Bridge Restart: asks picarto-bridge to drop its connections,
// re-read the globals and start again, in the same process.
// The bridge listens for WebSocket broadcasts with a "picartoBridge" key.
public class CPHInline
{
    public bool Execute()
    {
        CPH.WebsocketBroadcastJson("{\"picartoBridge\":\"restart\"}");
        return true;
    }
}
