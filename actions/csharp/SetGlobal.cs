using System;
using System.Globalization;

// Picarto Set Global: the helper picarto-bridge runs (DoAction) to write a
// Streamer.bot global variable, since no WebSocket request can.
// Arguments (all text):
//   name       the global's name, e.g. picartoFollowerCount
//   value      its value: "True"/"False" (any case) become a boolean, an
//              integer such as "9005" becomes a number, anything else stays text
//   persisted  "false" for a temporary global; anything else: persisted
public class CPHInline
{
    public bool Execute()
    {
        string name;
        if (!CPH.TryGetArg("name", out name) || string.IsNullOrEmpty(name))
        {
            CPH.LogWarn("Picarto Set Global: the argument 'name' is missing");
            return false;
        }
        string value;
        if (!CPH.TryGetArg("value", out value) || value == null)
        {
            value = "";
        }
        bool persisted = true;
        string persistedArg;
        if (CPH.TryGetArg("persisted", out persistedArg) && persistedArg != null
            && persistedArg.Trim().Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            persisted = false;
        }
        CPH.SetGlobalVar(name, Typed(value), persisted);
        return true;
    }

    // Typed turns "True"/"False" (any case) into a bool and an integer written
    // the usual way ("9005", "-3"; not "007" or "+5") into an int, or a long
    // when it does not fit; any other text is returned unchanged.
    private static object Typed(string value)
    {
        string text = value.Trim();
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        long number;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)
            && number.ToString(CultureInfo.InvariantCulture) == text)
        {
            if (number >= int.MinValue && number <= int.MaxValue)
            {
                return (int)number;
            }
            return number;
        }
        return value;
    }
}
