using System;
using System.Text;

// Picarto Send Chat: asks picarto-bridge to send a message to Picarto chat.
// The text is the argument "message", or else "rawInput" (so a chat command
// trigger can relay what follows it). The bridge sends at most 20 messages in
// any 30 seconds; more wait.
public class CPHInline
{
    public bool Execute()
    {
        string message;
        if (!CPH.TryGetArg("message", out message) || string.IsNullOrEmpty(message))
        {
            if (!CPH.TryGetArg("rawInput", out message) || string.IsNullOrEmpty(message))
            {
                CPH.LogWarn("Picarto Send Chat: no 'message' or 'rawInput' argument to send");
                return false;
            }
        }
        CPH.WebsocketBroadcastJson("{\"picartoBridge\":\"chat\",\"message\":" + JsonString(message) + "}");
        return true;
    }

    // JsonString returns text as a JSON string literal (RFC 8259): quotes,
    // backslashes and control characters escaped; U+2028, U+2029 and unpaired
    // surrogates as \uXXXX.
    private static string JsonString(string text)
    {
        StringBuilder sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    bool paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                    if (paired)
                    {
                        sb.Append(c).Append(text[i + 1]);
                        i++;
                    }
                    else if (c < ' ' || c == '\u2028' || c == '\u2029' || char.IsSurrogate(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4"));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
