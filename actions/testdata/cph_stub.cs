// A stub of the part of Streamer.bot's C# API (docs.streamer.bot, "C#
// methods") that the scripts in ../csharp use, so the tests can compile them
// with Mono's mcs and run them.
//
// In Streamer.bot a script is pasted as is: "public class CPHInline { public
// bool Execute() { ... } }", and Streamer.bot supplies the CPH member (an
// IInlineInvokeProxy) and the args dictionary. C# cannot inject a member into
// a class from outside, so csharp_test.go rewrites "public class CPHInline"
// to "public class CPHInline : CPHBase" before compiling; the scripts
// themselves stay exactly what a streamer pastes.
using System;
using System.Collections.Generic;

// IInlineInvokeProxy declares the CPH methods with Streamer.bot's documented
// signatures.
public interface IInlineInvokeProxy
{
    void SetGlobalVar(string varName, object value, bool persisted = true);
    T GetGlobalVar<T>(string varName, bool persisted = true);
    void UnsetGlobalVar(string varName, bool persisted = true);
    bool TryGetArg<T>(string argName, out T value);
    bool TryGetArg(string argName, out object value);
    void SetArgument(string variableName, object value);
    void WebsocketBroadcastJson(string data);
    void WebsocketBroadcastString(string data);
    bool RegisterCustomTrigger(string triggerName, string eventName, string[] categories);
    void TriggerCodeEvent(string eventName, bool useArgs = true);
    void LogInfo(string message);
    void LogWarn(string message);
    void LogDebug(string message);
    void LogError(string message);
}

// CPHBase is what Streamer.bot gives every CPHInline.
public class CPHBase
{
    public IInlineInvokeProxy CPH;
    public Dictionary<string, object> args;
}

// FakeCPH records every call, one line each: the method name and its
// arguments separated by tabs, each argument as "type:text" with the text
// base64-encoded (UTF-8), so any value survives the trip to the Go test.
public class FakeCPH : IInlineInvokeProxy
{
    public readonly Dictionary<string, object> Args = new Dictionary<string, object>();
    public readonly Dictionary<string, object> Globals = new Dictionary<string, object>();
    public readonly List<string> Calls = new List<string>();

    private void Record(string method, params object[] values)
    {
        List<string> parts = new List<string>();
        parts.Add(method);
        foreach (object v in values)
        {
            string type = v == null ? "null" : v.GetType().FullName;
            string text = v == null ? "" : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture);
            if (v is string[])
            {
                text = string.Join("\n", (string[])v);
            }
            parts.Add(type + ":" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)));
        }
        Calls.Add(string.Join("\t", parts.ToArray()));
    }

    public void SetGlobalVar(string varName, object value, bool persisted = true)
    {
        Record("SetGlobalVar", varName, value, persisted);
        Globals[(persisted ? "p:" : "t:") + varName] = value;
    }

    public T GetGlobalVar<T>(string varName, bool persisted = true)
    {
        object v;
        if (Globals.TryGetValue((persisted ? "p:" : "t:") + varName, out v) && v is T)
        {
            return (T)v;
        }
        return default(T);
    }

    public void UnsetGlobalVar(string varName, bool persisted = true)
    {
        Record("UnsetGlobalVar", varName, persisted);
        Globals.Remove((persisted ? "p:" : "t:") + varName);
    }

    // TryGetArg converts like Streamer.bot does for the common cases: the
    // argument must exist and be convertible to T.
    public bool TryGetArg<T>(string argName, out T value)
    {
        value = default(T);
        object raw;
        if (!Args.TryGetValue(argName, out raw) || raw == null)
        {
            return false;
        }
        if (raw is T)
        {
            value = (T)raw;
            return true;
        }
        try
        {
            value = (T)Convert.ChangeType(raw, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    public bool TryGetArg(string argName, out object value)
    {
        return Args.TryGetValue(argName, out value);
    }

    public void SetArgument(string variableName, object value)
    {
        Args[variableName] = value;
    }

    public void WebsocketBroadcastJson(string data) { Record("WebsocketBroadcastJson", data); }
    public void WebsocketBroadcastString(string data) { Record("WebsocketBroadcastString", data); }

    public bool RegisterCustomTrigger(string triggerName, string eventName, string[] categories)
    {
        Record("RegisterCustomTrigger", triggerName, eventName, categories);
        return true;
    }

    public void TriggerCodeEvent(string eventName, bool useArgs = true) { Record("TriggerCodeEvent", eventName, useArgs); }
    public void LogInfo(string message) { Record("LogInfo", message); }
    public void LogWarn(string message) { Record("LogWarn", message); }
    public void LogDebug(string message) { Record("LogDebug", message); }
    public void LogError(string message) { Record("LogError", message); }
}
