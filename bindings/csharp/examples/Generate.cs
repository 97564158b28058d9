// The C# twin of bindings/c/generate.c: the same arguments print the same bytes.
// Usage: mono Generate.exe MODEL_DIR SEED MAX_TOKENS PROMPT
using System;
using System.Text;
using DeltaNet;

static class Generate {
    static int Main(string[] args) {
        if (args.Length != 4) {
            Console.Error.WriteLine("usage: Generate.exe MODEL_DIR SEED MAX_TOKENS PROMPT");
            return 2;
        }
        string modelDir = args[0], prompt = args[3];
        ulong seed = ulong.Parse(args[1]);
        int maxTokens = int.Parse(args[2]);
        System.IO.Stream stdout = Console.OpenStandardOutput(); // raw UTF-8 bytes, no console encoding
        try {
            using (var stream = new DeltaNet.Stream("cpu"))
            using (var model = Model.Load(stream, modelDir))
            using (var tokenizer = Tokenizer.Load(modelDir))
            using (var state = model.NewState()) {
                var options = new GenerateOptions { MaxTokens = maxTokens, Sampling = new SamplerOptions { Seed = seed } };
                Write(stdout, prompt);
                state.Generate(stream, tokenizer, prompt, options, (text, token) => {
                    Write(stdout, text);
                    return true;
                });
                stdout.WriteByte((byte)'\n');
                stdout.Flush();
            }
        } catch (DeltaNetException e) {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        return 0;
    }

    static void Write(System.IO.Stream stdout, string text) {
        byte[] b = Encoding.UTF8.GetBytes(text);
        stdout.Write(b, 0, b.Length);
        stdout.Flush();
    }
}
