// Tests of the Java binding, run with the JDK alone: main() runs every test and exits nonzero if one
// fails. Usage: BindingTests REFERENCE_DIR FIXTURES_DIR KJV_MODEL_DIR
// REFERENCE_DIR holds what the C API computed (tests/binding_reference.cpp); the logits must match
// bit for bit, since the same library runs underneath.
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.deltanet.DeltaNetException;
import org.deltanet.Detokenizer;
import org.deltanet.GenerateOptions;
import org.deltanet.GenerateResult;
import org.deltanet.LogitsMode;
import org.deltanet.Model;
import org.deltanet.ModelOptions;
import org.deltanet.Precision;
import org.deltanet.Sampler;
import org.deltanet.SamplerOptions;
import org.deltanet.State;
import org.deltanet.StateOptions;
import org.deltanet.Status;
import org.deltanet.StopReason;
import org.deltanet.Stream;
import org.deltanet.Tokenizer;
import org.deltanet.WeightMemory;

public final class BindingTests {
    private static final String[] FIXTURES = {"deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"};
    private static Path references, fixtures, kjv;

    interface Test { void run() throws Exception; }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: BindingTests REFERENCE_DIR FIXTURES_DIR KJV_MODEL_DIR");
            System.exit(2);
        }
        references = Paths.get(args[0]);
        fixtures = Paths.get(args[1]);
        kjv = Paths.get(args[2]);
        List<String> names = new ArrayList<>();
        List<Test> tests = new ArrayList<>();
        for (String f : FIXTURES) {
            names.add("logits_match_c_" + f); tests.add(() -> logitsMatchC(f));
            names.add("greedy_matches_c_" + f); tests.add(() -> greedyMatchesC(f));
        }
        names.add("missing_model_is_io_error"); tests.add(BindingTests::missingModelIsIoError);
        names.add("bad_token_is_out_of_range"); tests.add(BindingTests::badTokenIsOutOfRange);
        names.add("wrong_sizes_are_errors"); tests.add(BindingTests::wrongSizesAreErrors);
        names.add("close_twice_and_use_after_close"); tests.add(BindingTests::closeTwiceAndUseAfterClose);
        names.add("state_keeps_model_alive"); tests.add(BindingTests::stateKeepsModelAlive);
        names.add("callback_false_cancels"); tests.add(BindingTests::callbackFalseCancels);
        names.add("callback_exception_reaches_caller"); tests.add(BindingTests::callbackExceptionReachesCaller);
        names.add("save_load_round_trip"); tests.add(BindingTests::saveLoadRoundTrip);
        names.add("tokenizer_round_trip"); tests.add(BindingTests::tokenizerRoundTrip);
        names.add("decode_batch_matches_forward"); tests.add(BindingTests::decodeBatchMatchesForward);
        names.add("detokenizer_matches_decode"); tests.add(BindingTests::detokenizerMatchesDecode);
        names.add("model_options_precision_and_weights"); tests.add(BindingTests::modelOptionsPrecisionAndWeights);
        names.add("progress_callback_and_cancel"); tests.add(BindingTests::progressCallbackAndCancel);
        names.add("max_context_gives_context_full"); tests.add(BindingTests::maxContextGivesContextFull);
        names.add("logit_bias_picks_token"); tests.add(BindingTests::logitBiasPicksToken);
        int failed = 0;
        for (int i = 0; i < tests.size(); ++i) {
            try {
                tests.get(i).run();
                System.out.println("PASS " + names.get(i));
            } catch (Throwable t) {
                ++failed;
                System.out.println("FAIL " + names.get(i) + ": " + t);
                t.printStackTrace(System.out);
            }
        }
        System.out.println((tests.size() - failed) + " of " + tests.size() + " tests passed");
        System.exit(failed == 0 ? 0 : 1);
    }

    // ---- helpers --------------------------------------------------------------------------------

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    interface Body { void run() throws Exception; }

    static DeltaNetException expectError(Status status, Body body) throws Exception {
        try {
            body.run();
        } catch (DeltaNetException e) {
            check(e.status() == status, "expected " + status + ", got " + e.status() + " (" + e.getMessage() + ")");
            check(e.getMessage().length() > status.name().length() + 2, "the message carries the library's text");
            return e;
        }
        throw new AssertionError("expected a DeltaNetException with " + status);
    }

    static void expectClosed(Body body) throws Exception {
        try {
            body.run();
        } catch (IllegalStateException e) {
            return;
        }
        throw new AssertionError("expected IllegalStateException after close");
    }

    static ByteBuffer raw(String fixture, String file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(references.resolve(fixture).resolve(file))).order(ByteOrder.LITTLE_ENDIAN);
    }

    static int[] ints(String fixture, String file) throws IOException {
        ByteBuffer b = raw(fixture, file);
        int[] v = new int[b.remaining() / 4];
        b.asIntBuffer().get(v);
        return v;
    }

    static float[] floats(String fixture, String file) throws IOException {
        ByteBuffer b = raw(fixture, file);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    static void checkBitIdentical(float[] expected, float[] actual, String what) {
        check(expected.length == actual.length, what + ": " + actual.length + " values, expected " + expected.length);
        for (int i = 0; i < expected.length; ++i) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    static int argmax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; ++i) {
            if (v[from + i] > v[from + best]) best = i;
        }
        return best;
    }

    // ---- tests ----------------------------------------------------------------------------------

    static void logitsMatchC(String fixture) throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(fixture).toString());
             State state = model.newState()) {
            float[] logits = state.forward(stream, ints(fixture, "input_ids.i32"), LogitsMode.ALL);
            checkBitIdentical(floats(fixture, "logits.f32"), logits, fixture + " logits");
        }
    }

    static void greedyMatchesC(String fixture) throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(fixture).toString());
             State state = model.newState()) {
            int vocab = model.vocabSize();
            float[] logits = state.forward(stream, ints(fixture, "input_ids.i32"), LogitsMode.ALL);
            int[] greedy = new int[8];
            int token = argmax(logits, logits.length - vocab, vocab);
            for (int i = 0; i < greedy.length; ++i) {
                greedy[i] = token;
                float[] next = state.forward(stream, new int[] {token}, LogitsMode.LAST);
                token = argmax(next, 0, vocab);
            }
            int[] expected = ints(fixture, "greedy.i32");
            check(Arrays.equals(expected, greedy), fixture + " greedy " + Arrays.toString(greedy)
                  + ", expected " + Arrays.toString(expected));
        }
    }

    static void missingModelIsIoError() throws Exception {
        try (Stream stream = new Stream("cpu")) {
            DeltaNetException e = expectError(Status.IO, () -> Model.load(stream, "/nonexistent/model-dir"));
            check(e.getMessage().contains("nonexistent"), "the message names the path: " + e.getMessage());
            expectError(Status.IO, () -> Tokenizer.load("/nonexistent/model-dir"));
        }
    }

    static void badTokenIsOutOfRange() throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(FIXTURES[0]).toString());
             State state = model.newState()) {
            expectError(Status.TOKEN_OUT_OF_RANGE,
                        () -> state.forward(stream, new int[] {1, model.vocabSize()}, LogitsMode.LAST));
            expectError(Status.TOKEN_OUT_OF_RANGE, () -> state.forward(stream, new int[] {-1}, LogitsMode.LAST));
            check(state.position() == 0, "a failed forward does not advance the state");
        }
    }

    static void wrongSizesAreErrors() throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(FIXTURES[0]).toString());
             State state = model.newState();
             Sampler sampler = new Sampler(null, model.vocabSize())) {
            expectError(Status.INVALID_ARGUMENT, () -> sampler.sample(new float[model.vocabSize() - 1]));
            expectError(Status.INVALID_ARGUMENT, () -> state.forward(stream, new int[0], LogitsMode.LAST));
            byte[] blob = state.save();
            expectError(Status.STATE_CORRUPT, () -> state.load(Arrays.copyOf(blob, blob.length - 1)));
            expectError(Status.STATE_CORRUPT, () -> state.load(new byte[0]));
            expectError(Status.NULL_ARGUMENT, () -> state.load(null));
        }
    }

    static void closeTwiceAndUseAfterClose() throws Exception {
        Stream stream = new Stream("cpu");
        Model model = Model.load(stream, fixtures.resolve(FIXTURES[0]).toString());
        State state = model.newState();
        Sampler sampler = new Sampler(null, model.vocabSize());
        Tokenizer tokenizer = Tokenizer.load(kjv.toString());
        state.close();
        state.close();
        expectClosed(state::position);
        expectClosed(() -> state.forward(stream, new int[] {1}, LogitsMode.LAST));
        sampler.close();
        sampler.close();
        expectClosed(() -> sampler.sample(new float[model.vocabSize()]));
        tokenizer.close();
        tokenizer.close();
        expectClosed(() -> tokenizer.encode("x"));
        model.close();
        model.close();
        expectClosed(model::newState);
        expectClosed(model::vocabSize);
        stream.close();
        stream.close();
        expectClosed(stream::device);
    }

    static void stateKeepsModelAlive() throws Exception {
        try (Stream stream = new Stream("cpu")) {
            Model model = Model.load(stream, fixtures.resolve(FIXTURES[0]).toString());
            State state = model.newState();
            state.forward(stream, new int[] {1, 2, 3}, LogitsMode.NONE);
            model.close(); // the memory waits for the state
            check(state.position() == 3, "the state still works after its model is closed");
            byte[] blob = state.save();
            check(blob.length > 0, "save after the model is closed");
            expectClosed(() -> state.forward(stream, new int[] {1}, LogitsMode.LAST));
            state.close(); // frees the state, then the model
            // Unclosed models and states left to the garbage collector, in whatever order it picks.
            for (int i = 0; i < 20; ++i) {
                Model m = Model.load(stream, fixtures.resolve(FIXTURES[i % 3]).toString());
                State s = m.newState();
                s.forward(stream, new int[] {1, 2}, LogitsMode.NONE);
                if (i % 2 == 0) m = null;
                System.gc();
            }
            System.gc();
            Thread.sleep(100);
        }
    }

    static void callbackFalseCancels() throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, kjv.toString());
             Tokenizer tokenizer = Tokenizer.load(kjv.toString());
             State state = model.newState()) {
            AtomicInteger calls = new AtomicInteger();
            GenerateResult r = state.generate(stream, tokenizer, "In the beginning",
                new GenerateOptions().maxTokens(20).stopAtEos(false), (text, token) -> calls.incrementAndGet() < 3);
            check(calls.get() == 3, "3 callbacks, got " + calls.get());
            check(r.stopReason() == StopReason.CANCELLED, "stop reason " + r.stopReason());
            check(r.generatedTokens() == 3, "3 tokens generated, got " + r.generatedTokens());
        }
    }

    static void callbackExceptionReachesCaller() throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, kjv.toString());
             Tokenizer tokenizer = Tokenizer.load(kjv.toString());
             State state = model.newState()) {
            RuntimeException thrown = new RuntimeException("from the callback");
            AtomicInteger calls = new AtomicInteger();
            try {
                state.generate(stream, tokenizer, "In the beginning", new GenerateOptions().maxTokens(20),
                               (text, token) -> {
                                   if (calls.incrementAndGet() == 2) throw thrown;
                                   return true;
                               });
                throw new AssertionError("the callback's exception was not rethrown");
            } catch (RuntimeException e) {
                check(e == thrown, "the same exception reaches the caller: " + e);
            }
            check(calls.get() == 2, "no callback after the exception, got " + calls.get());
            long position = state.position();
            check(position > 0, "the state holds the prompt and the tokens");
            GenerateResult r = state.generate(stream, tokenizer, " and", new GenerateOptions().maxTokens(2), null);
            check(r.generatedTokens() > 0 && state.position() > position, "the state is still usable");
        }
    }

    static void saveLoadRoundTrip() throws Exception {
        String fixture = FIXTURES[2];
        int[] ids = ints(fixture, "input_ids.i32");
        int half = ids.length / 2;
        int[] head = Arrays.copyOf(ids, half), tail = Arrays.copyOfRange(ids, half, ids.length);
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(fixture).toString());
             State state = model.newState()) {
            state.forward(stream, head, LogitsMode.NONE);
            byte[] blob = state.save();
            float[] expected = state.forward(stream, tail, LogitsMode.ALL);
            try (State restored = model.newState()) {
                restored.load(blob);
                check(restored.position() == half, "position " + restored.position());
                checkBitIdentical(expected, restored.forward(stream, tail, LogitsMode.ALL), "logits after load");
            }
            state.load(blob);
            checkBitIdentical(expected, state.forward(stream, tail, LogitsMode.ALL), "logits after reload");
            try (State copy = state.copy()) {
                check(copy.position() == state.position(), "a copy is at the same position");
            }
        }
    }

    static void tokenizerRoundTrip() throws Exception {
        try (Tokenizer tokenizer = Tokenizer.load(kjv.toString())) {
            String text = "In the beginning God created the heaven and the earth. \u00e9\u4e2d\ud83d\ude00";
            int[] ids = tokenizer.encode(text);
            check(ids.length > 0, "tokens");
            check(tokenizer.decode(ids).equals(text), "decode(encode(text)) == text: " + tokenizer.decode(ids));
            check(tokenizer.vocabSize() > 0, "vocab size");
            expectError(Status.TOKEN_OUT_OF_RANGE, () -> tokenizer.decode(new int[] {tokenizer.vocabSize()}));
        }
    }

    static void decodeBatchMatchesForward() throws Exception {
        String fixture = FIXTURES[1];
        int[] ids = ints(fixture, "input_ids.i32");
        int[][] prompts = {ids, Arrays.copyOf(ids, 3), {7, 8, 9, 10, 11}};
        int[] next = {11, 12, 13};
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, fixtures.resolve(fixture).toString())) {
            int vocab = model.vocabSize();
            State[] batch = new State[3], single = new State[3];
            try {
                for (int i = 0; i < 3; ++i) {
                    batch[i] = model.newState();
                    batch[i].forward(stream, prompts[i], LogitsMode.NONE);
                    single[i] = batch[i].copy();
                }
                float[] logits = model.decodeBatch(stream, batch, next);
                check(logits.length == 3 * vocab, "3 x vocab logits, got " + logits.length);
                for (int i = 0; i < 3; ++i) {
                    float[] one = single[i].forward(stream, new int[] {next[i]}, LogitsMode.LAST);
                    checkBitIdentical(one, Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab), "batch row " + i);
                    check(batch[i].position() == prompts[i].length + 1, "each state advanced by one token");
                }
                expectError(Status.INVALID_ARGUMENT, () -> model.decodeBatch(stream, batch, new int[] {1, 2}));
                expectError(Status.INVALID_ARGUMENT,
                            () -> model.decodeBatch(stream, new State[] {batch[0], batch[0]}, new int[] {1, 2}));
                expectError(Status.TOKEN_OUT_OF_RANGE,
                            () -> model.decodeBatch(stream, batch, new int[] {1, vocab, 2}));
                for (int i = 0; i < 3; ++i) {
                    check(batch[i].position() == prompts[i].length + 1, "a failed batch advances no state");
                }
            } finally {
                for (int i = 0; i < 3; ++i) {
                    if (batch[i] != null) batch[i].close();
                    if (single[i] != null) single[i].close();
                }
            }
        }
    }

    static void detokenizerMatchesDecode() throws Exception {
        String text = "And God said, Let there be light: and there was light. \u00e9\u4e2d\ud83d\ude00 caf\u00e9";
        Tokenizer tokenizer = Tokenizer.load(kjv.toString());
        Detokenizer detokenizer = new Detokenizer(tokenizer);
        int[] ids = tokenizer.encode(text);
        for (int round = 0; round < 2; ++round) { // flush resets it for a new sequence
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(detokenizer.push(id));
            streamed.append(detokenizer.flush());
            check(streamed.toString().equals(tokenizer.decode(ids)), "pieces " + streamed + " == decode");
            check(streamed.toString().equals(text), "pieces == text: " + streamed);
        }
        expectError(Status.TOKEN_OUT_OF_RANGE, () -> detokenizer.push(tokenizer.vocabSize()));
        try (Detokenizer skip = tokenizer.newDetokenizer(Tokenizer.SKIP_SPECIAL)) {
            check(skip.push(ids[0]).length() + skip.flush().length() > 0, "a detokenizer with flags");
        }
        tokenizer.close(); // its memory waits for the detokenizer
        expectClosed(() -> tokenizer.encode("x"));
        check(detokenizer.push(ids[0]).length() + detokenizer.flush().length() > 0, "works after its tokenizer is closed");
        detokenizer.close();
        detokenizer.close();
        expectClosed(detokenizer::flush);
        // Left to the garbage collector, in whatever order it picks.
        for (int i = 0; i < 10; ++i) {
            Tokenizer t = Tokenizer.load(kjv.toString());
            Detokenizer d = new Detokenizer(t);
            d.push(ids[0]);
            System.gc();
        }
        System.gc();
        Thread.sleep(100);
    }

    static float[] kjvLogits(Stream stream, ModelOptions options) throws Exception {
        try (Model model = Model.load(stream, kjv.toString(), options);
             Tokenizer tokenizer = Tokenizer.load(kjv.toString());
             State state = model.newState()) {
            return state.forward(stream, tokenizer.encode("In the beginning God created"), LogitsMode.ALL);
        }
    }

    static void modelOptionsPrecisionAndWeights() throws Exception {
        try (Stream stream = new Stream("cpu")) {
            ModelOptions defaults = new ModelOptions();
            check(defaults.precision() == Precision.EXACT && defaults.weights() == WeightMemory.COPY, "defaults");
            float[] base = kjvLogits(stream, null);
            float[] exact = kjvLogits(stream, new ModelOptions().precision(Precision.EXACT));
            check(base.length == exact.length, "same shape");
            for (int i = 0; i < base.length; ++i) {
                check(Math.abs(exact[i] - base[i]) <= 1e-4 * Math.max(1.0, Math.abs(base[i])),
                      "EXACT logit " + i + ": " + exact[i] + " vs " + base[i]);
            }
            checkBitIdentical(base, kjvLogits(stream, new ModelOptions().weights(WeightMemory.MAPPED)), "mapped weights");
            float[] fast = kjvLogits(stream, new ModelOptions().precision(Precision.FAST).weights(WeightMemory.MAPPED));
            check(fast.length == base.length, "FAST logits");
            for (float v : fast) check(Float.isFinite(v), "FAST logits are finite");
            try (Model model = Model.load(stream, kjv.toString(), new ModelOptions().weights(WeightMemory.MAPPED))) {
                check(model.weightBytes() > 0 && model.numParams() > 0, "weight bytes " + model.weightBytes());
                check(model.weightDtype() != null, "weight dtype");
            }
        }
    }

    static void progressCallbackAndCancel() throws Exception {
        try (Stream stream = new Stream("cpu")) {
            AtomicInteger calls = new AtomicInteger();
            AtomicLong last = new AtomicLong(), total = new AtomicLong();
            try (Model model = Model.load(stream, kjv.toString(), new ModelOptions().progress((done, all) -> {
                check(done >= last.get() && done <= all, "done " + done + " of " + all + " after " + last.get());
                calls.incrementAndGet();
                last.set(done);
                total.set(all);
                return true;
            }))) {
                check(calls.get() > 0, "the progress callback was called");
                check(last.get() == total.get() && total.get() > 0, "the load ends at " + total.get() + " bytes");
                check(model.vocabSize() > 0, "the model loaded");
            }
            AtomicInteger cancelled = new AtomicInteger();
            DeltaNetException e = expectError(Status.INVALID_ARGUMENT, () -> Model.load(stream, kjv.toString(),
                new ModelOptions().progress((done, all) -> cancelled.incrementAndGet() < 2)));
            check(e.getMessage().contains("cancelled"), "the message says cancelled: " + e.getMessage());
            check(cancelled.get() == 2, "no call after cancelling, got " + cancelled.get());
            IllegalStateException thrown = new IllegalStateException("from the progress callback");
            AtomicInteger throwing = new AtomicInteger();
            try {
                Model.load(stream, kjv.toString(), new ModelOptions().progress((done, all) -> {
                    throwing.incrementAndGet();
                    throw thrown;
                }));
                throw new AssertionError("the callback's exception was not rethrown");
            } catch (IllegalStateException x) {
                check(x == thrown, "the same exception reaches the caller: " + x);
            }
            check(throwing.get() == 1, "no call after the exception, got " + throwing.get());
            try (Model again = Model.load(stream, kjv.toString(), new ModelOptions())) {
                check(again.vocabSize() > 0, "loading works after a cancelled load");
            }
        }
    }

    /** A copy of the hybrid fixture whose attention layers are global (no window_size). */
    static Path globalAttentionFixture() throws IOException {
        Path source = fixtures.resolve("deltanet-hybrid-tiny");
        Path dir = Files.createTempDirectory("dn-java-global");
        String config = new String(Files.readAllBytes(source.resolve("config.json")), StandardCharsets.UTF_8);
        String global = config.replaceAll(",\\s*\"window_size\"\\s*:\\s*\\d+", "");
        check(!global.equals(config) && !global.contains("window_size"), "window_size removed from the config");
        Files.write(dir.resolve("config.json"), global.getBytes(StandardCharsets.UTF_8));
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        return dir;
    }

    static void deleteTree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.delete(f);
        }
        Files.delete(dir);
    }

    static int[] someTokens(int n, int seed) {
        int[] v = new int[n];
        for (int i = 0; i < n; ++i) v[i] = (seed * 131 + i * 17) % 512;
        return v;
    }

    static void maxContextGivesContextFull() throws Exception {
        Path dir = globalAttentionFixture();
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, dir.toString());
             State small = model.newState(new StateOptions().maxContext(16));
             State large = model.newState()) {
            check(new StateOptions().maxContext() == 0, "default max_context");
            check(model.numAttentionLayers() > 0, "a hybrid model");
            small.forward(stream, someTokens(10, 1), LogitsMode.NONE);
            byte[] before = small.save();
            expectError(Status.CONTEXT_FULL, () -> small.forward(stream, someTokens(7, 2), LogitsMode.ALL));
            check(small.position() == 10, "a failed forward does not advance the state");
            check(Arrays.equals(before, small.save()), "nor change it");
            small.forward(stream, someTokens(6, 3), LogitsMode.LAST);
            check(small.position() == 16, "exactly full");
            expectError(Status.CONTEXT_FULL, () -> small.forward(stream, new int[] {1}, LogitsMode.LAST));
            large.forward(stream, someTokens(17, 4), LogitsMode.LAST);
            check(large.position() == 17, "a default state holds more");
            expectError(Status.INVALID_ARGUMENT, () -> model.newState(new StateOptions().maxContext(-5)));
        } finally {
            deleteTree(dir);
        }
    }

    static void logitBiasPicksToken() throws Exception {
        try (Stream stream = new Stream("cpu");
             Model model = Model.load(stream, kjv.toString());
             Tokenizer tokenizer = Tokenizer.load(kjv.toString());
             State state = model.newState()) {
            int vocab = model.vocabSize();
            float[] logits = state.forward(stream, tokenizer.encode("In the beginning"), LogitsMode.LAST);
            int best = argmax(logits, 0, vocab);
            int target = best == 100 ? 101 : 100;
            SamplerOptions options = new SamplerOptions().logitBias(target, 100f);
            check(options.logitBias().get(target) == 100f, "the bias is kept");
            for (long seed = 0; seed < 5; ++seed) {
                try (Sampler sampler = new Sampler(options.seed(seed), vocab)) {
                    check(sampler.sample(logits) == target, "a +100 bias picks token " + target);
                }
            }
            try (Sampler plain = new Sampler(new SamplerOptions().temperature(0), vocab);
                 Sampler banned = new Sampler(new SamplerOptions().temperature(0)
                                                  .logitBias(best, Float.NEGATIVE_INFINITY), vocab)) {
                check(plain.sample(logits) == best, "greedy picks the argmax");
                check(banned.sample(logits) != best, "a banned token is never picked");
            }
            expectError(Status.INVALID_ARGUMENT, () -> new Sampler(new SamplerOptions().logitBias(vocab, 1f), vocab));
            expectError(Status.INVALID_ARGUMENT, () -> new Sampler(new SamplerOptions().logitBias(1, Float.NaN), vocab));
            // Through generate's own sampler too.
            List<Integer> tokens = new ArrayList<>();
            state.reset();
            GenerateResult r = state.generate(stream, tokenizer, "In the beginning",
                new GenerateOptions().maxTokens(4).stopAtEos(false).sampling(new SamplerOptions().logitBias(target, 100f)),
                (text, token) -> tokens.add(token));
            check(r.generatedTokens() == 4 && tokens.size() == 4, "4 tokens, got " + tokens);
            for (int t : tokens) check(t == target, "generate picks the biased token: " + tokens);
        }
    }
}
