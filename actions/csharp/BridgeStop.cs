using System;

// Picarto Bridge Stop: asks picarto-bridge to stop (exit code 0).
// Events not yet delivered stay queued on disk.
// The bridge listens for WebSocket broadcasts with a "picartoBridge" key.
public class CPHInline
{
    public bool Execute()
    {
        CPH.WebsocketBroadcastJson("{\"picartoBridge\":\"stop\"}");
        return true;
    }
}
