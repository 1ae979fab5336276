// Runs the CPHInline compiled with it once per scenario and prints what it
// did. Command line: scenarios separated by "--", each a list of name=value
// action arguments (text). Output per scenario: "RUN <n>", one line per
// recorded CPH call (see FakeCPH), then "RESULT <True|False>".
using System;
using System.Collections.Generic;

public static class Harness
{
    public static int Main(string[] argv)
    {
        List<List<string>> scenarios = new List<List<string>>();
        scenarios.Add(new List<string>());
        foreach (string a in argv)
        {
            if (a == "--")
            {
                scenarios.Add(new List<string>());
            }
            else
            {
                scenarios[scenarios.Count - 1].Add(a);
            }
        }
        for (int n = 0; n < scenarios.Count; n++)
        {
            FakeCPH fake = new FakeCPH();
            foreach (string kv in scenarios[n])
            {
                int eq = kv.IndexOf('=');
                if (eq < 0)
                {
                    Console.Error.WriteLine("bad argument: " + kv);
                    return 2;
                }
                fake.Args[kv.Substring(0, eq)] = kv.Substring(eq + 1);
            }
            CPHInline script = new CPHInline();
            script.CPH = fake;
            script.args = fake.Args;
            bool result = script.Execute();
            Console.WriteLine("RUN " + n);
            foreach (string call in fake.Calls)
            {
                Console.WriteLine(call);
            }
            Console.WriteLine("RESULT " + result);
        }
        return 0;
    }
}
