using System;

// Picarto Register Triggers: adds the Picarto events to Streamer.bot's trigger
// menu (Custom > Picarto > Follow, ...), so any action can react to them.
// Give this action the "Streamer.bot Started" trigger: custom triggers must be
// registered again after every start. picarto-bridge fires the registered ones
// (ExecuteCodeTrigger) with the same arguments as the "Process Picarto ..."
// actions; an alert wired to both routes runs twice.
public class CPHInline
{
    public bool Execute()
    {
        string[] category = new[] { "Picarto" };
        // display name in the menu, event name the bridge fires
        string[,] triggers = new string[,]
        {
            { "Follow", "picartoFollow" },
            { "Unfollow", "picartoUnfollow" },
            { "Subscriber", "picartoSubscribe" },
            { "Unsubscribe", "picartoUnsubscribe" },
            { "Stream Online", "picartoOnline" },
            { "Stream Offline", "picartoOffline" },
            { "Event Start", "picartoEventStart" },
            { "Event End", "picartoEventEnd" },
            { "Chat Message", "picartoChat" },
            { "Raid", "picartoRaid" },
            { "Tip", "picartoTip" },
        };
        int registered = 0;
        for (int i = 0; i < triggers.GetLength(0); i++)
        {
            if (CPH.RegisterCustomTrigger(triggers[i, 0], triggers[i, 1], category))
            {
                registered++;
            }
            else
            {
                CPH.LogDebug("Picarto Register Triggers: not registered (already there?): " + triggers[i, 1]);
            }
        }
        CPH.LogInfo("Picarto Register Triggers: registered " + registered + " of " + triggers.GetLength(0));
        return true;
    }
}
