// The Java twin of bindings/c/generate.c: the same arguments print the same bytes.
// Usage: java -cp deltanet.jar:. Generate MODEL_DIR SEED MAX_TOKENS PROMPT
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.deltanet.DeltaNetException;
import org.deltanet.GenerateOptions;
import org.deltanet.Model;
import org.deltanet.SamplerOptions;
import org.deltanet.State;
import org.deltanet.Stream;
import org.deltanet.Tokenizer;

public final class Generate {
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: Generate MODEL_DIR SEED MAX_TOKENS PROMPT");
            System.exit(2);
        }
        String modelDir = args[0], prompt = args[3];
        long seed = Long.parseUnsignedLong(args[1]);
        int maxTokens = Integer.parseInt(args[2]);
        PrintStream out = System.out; // written as UTF-8 bytes, whatever the locale's charset
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, modelDir);
             Tokenizer tokenizer = Tokenizer.load(modelDir);
             State state = model.newState()) {
            GenerateOptions options = new GenerateOptions()
                    .maxTokens(maxTokens)
                    .sampling(new SamplerOptions().seed(seed));
            write(out, prompt);
            state.generate(stream, tokenizer, prompt, options, (text, token) -> {
                write(out, text);
                return true;
            });
            out.write('\n');
            out.flush();
        } catch (DeltaNetException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    private static void write(PrintStream out, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        out.flush();
    }
}
