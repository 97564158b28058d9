// Tests of the C# binding, run with mono alone: Main runs every test and returns nonzero if one fails.
// Usage: mono BindingTests.exe REFERENCE_DIR FIXTURES_DIR KJV_MODEL_DIR
// REFERENCE_DIR holds what the C API computed (tests/binding_reference.cpp); the logits must match
// bit for bit, since the same library runs underneath.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using DeltaNet;
using DnStream = DeltaNet.Stream;

static class BindingTests {
    static readonly string[] Fixtures = { "deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny" };
    static string references, fixtures, kjv;

    static int Main(string[] args) {
        if (args.Length != 3) {
            Console.Error.WriteLine("usage: BindingTests.exe REFERENCE_DIR FIXTURES_DIR KJV_MODEL_DIR");
            return 2;
        }
        references = args[0];
        fixtures = args[1];
        kjv = args[2];
        var tests = new List<KeyValuePair<string, Action>>();
        foreach (string f in Fixtures) {
            string fixture = f;
            tests.Add(new KeyValuePair<string, Action>("logits_match_c_" + f, () => LogitsMatchC(fixture)));
            tests.Add(new KeyValuePair<string, Action>("greedy_matches_c_" + f, () => GreedyMatchesC(fixture)));
        }
        tests.Add(new KeyValuePair<string, Action>("missing_model_is_io_error", MissingModelIsIoError));
        tests.Add(new KeyValuePair<string, Action>("bad_token_is_out_of_range", BadTokenIsOutOfRange));
        tests.Add(new KeyValuePair<string, Action>("wrong_sizes_are_errors", WrongSizesAreErrors));
        tests.Add(new KeyValuePair<string, Action>("dispose_twice_and_use_after_dispose", DisposeTwiceAndUseAfterDispose));
        tests.Add(new KeyValuePair<string, Action>("state_keeps_model_alive", StateKeepsModelAlive));
        tests.Add(new KeyValuePair<string, Action>("callback_false_cancels", CallbackFalseCancels));
        tests.Add(new KeyValuePair<string, Action>("callback_exception_reaches_caller", CallbackExceptionReachesCaller));
        tests.Add(new KeyValuePair<string, Action>("save_load_round_trip", SaveLoadRoundTrip));
        tests.Add(new KeyValuePair<string, Action>("tokenizer_round_trip", TokenizerRoundTrip));
        tests.Add(new KeyValuePair<string, Action>("decode_batch_matches_forward", DecodeBatchMatchesForward));
        tests.Add(new KeyValuePair<string, Action>("span_overloads_match_arrays", SpanOverloadsMatchArrays));
        tests.Add(new KeyValuePair<string, Action>("detokenizer_matches_decode", DetokenizerMatchesDecode));
        tests.Add(new KeyValuePair<string, Action>("model_options_precision_and_weights", ModelOptionsPrecisionAndWeights));
        tests.Add(new KeyValuePair<string, Action>("progress_callback_and_cancel", ProgressCallbackAndCancel));
        tests.Add(new KeyValuePair<string, Action>("max_context_gives_context_full", MaxContextGivesContextFull));
        tests.Add(new KeyValuePair<string, Action>("logit_bias_picks_token", LogitBiasPicksToken));
        int failed = 0;
        foreach (var t in tests) {
            try {
                t.Value();
                Console.WriteLine("PASS " + t.Key);
            } catch (Exception e) {
                ++failed;
                Console.WriteLine("FAIL " + t.Key + ": " + e);
            }
        }
        Console.WriteLine((tests.Count - failed) + " of " + tests.Count + " tests passed");
        return failed == 0 ? 0 : 1;
    }

    // ---- helpers --------------------------------------------------------------------------------

    static void Check(bool ok, string what) {
        if (!ok) throw new Exception("check failed: " + what);
    }

    static DeltaNetException ExpectError(Status status, Action body) {
        try {
            body();
        } catch (DeltaNetException e) {
            Check(e.Status == status, "expected " + status + ", got " + e.Status + " (" + e.Message + ")");
            Check(e.Message.Length > status.ToString().Length + 2, "the message carries the library's text");
            return e;
        }
        throw new Exception("expected a DeltaNetException with " + status);
    }

    static void ExpectDisposed(Action body) {
        try {
            body();
        } catch (ObjectDisposedException) {
            return;
        }
        throw new Exception("expected ObjectDisposedException after Dispose");
    }

    static int[] Ints(string fixture, string file) {
        byte[] b = File.ReadAllBytes(Path.Combine(references, fixture, file));
        var v = new int[b.Length / 4];
        Buffer.BlockCopy(b, 0, v, 0, v.Length * 4); // little-endian host
        return v;
    }

    static float[] Floats(string fixture, string file) {
        byte[] b = File.ReadAllBytes(Path.Combine(references, fixture, file));
        var v = new float[b.Length / 4];
        Buffer.BlockCopy(b, 0, v, 0, v.Length * 4);
        return v;
    }

    static void CheckBitIdentical(float[] expected, float[] actual, string what) {
        Check(expected.Length == actual.Length, what + ": " + actual.Length + " values, expected " + expected.Length);
        var e = new int[expected.Length];
        var a = new int[actual.Length];
        Buffer.BlockCopy(expected, 0, e, 0, e.Length * 4);
        Buffer.BlockCopy(actual, 0, a, 0, a.Length * 4);
        for (int i = 0; i < e.Length; ++i) {
            if (e[i] != a[i]) throw new Exception(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i]);
        }
    }

    static int Argmax(float[] v, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; ++i) {
            if (v[from + i] > v[from + best]) best = i;
        }
        return best;
    }

    static string FixtureDir(string name) { return Path.Combine(fixtures, name); }

    // ---- tests ----------------------------------------------------------------------------------

    static void LogitsMatchC(string fixture) {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(fixture)))
        using (var state = model.NewState()) {
            float[] logits = state.Forward(stream, Ints(fixture, "input_ids.i32"), LogitsMode.All);
            CheckBitIdentical(Floats(fixture, "logits.f32"), logits, fixture + " logits");
        }
    }

    static void GreedyMatchesC(string fixture) {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(fixture)))
        using (var state = model.NewState()) {
            int vocab = model.VocabSize;
            float[] logits = state.Forward(stream, Ints(fixture, "input_ids.i32"), LogitsMode.All);
            var greedy = new int[8];
            int token = Argmax(logits, logits.Length - vocab, vocab);
            for (int i = 0; i < greedy.Length; ++i) {
                greedy[i] = token;
                float[] next = state.Forward(stream, new[] { token }, LogitsMode.Last);
                token = Argmax(next, 0, vocab);
            }
            int[] expected = Ints(fixture, "greedy.i32");
            Check(expected.SequenceEqual(greedy), fixture + " greedy " + string.Join(",", greedy) + ", expected "
                  + string.Join(",", expected));
        }
    }

    static void MissingModelIsIoError() {
        using (var stream = new DnStream("cpu")) {
            var e = ExpectError(Status.Io, () => Model.Load(stream, "/nonexistent/model-dir"));
            Check(e.Message.Contains("nonexistent"), "the message names the path: " + e.Message);
            ExpectError(Status.Io, () => Tokenizer.Load("/nonexistent/model-dir"));
        }
    }

    static void BadTokenIsOutOfRange() {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(Fixtures[0])))
        using (var state = model.NewState()) {
            ExpectError(Status.TokenOutOfRange, () => state.Forward(stream, new[] { 1, model.VocabSize }, LogitsMode.Last));
            ExpectError(Status.TokenOutOfRange, () => state.Forward(stream, new[] { -1 }, LogitsMode.Last));
            Check(state.Position == 0, "a failed forward does not advance the state");
        }
    }

    static void WrongSizesAreErrors() {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(Fixtures[0])))
        using (var state = model.NewState())
        using (var sampler = new Sampler(null, model.VocabSize)) {
            ExpectError(Status.InvalidArgument, () => sampler.Sample(new float[model.VocabSize - 1]));
            ExpectError(Status.InvalidArgument, () => state.Forward(stream, new int[0], LogitsMode.Last));
            byte[] blob = state.Save();
            ExpectError(Status.StateCorrupt, () => state.Load(blob.Take(blob.Length - 1).ToArray()));
            ExpectError(Status.StateCorrupt, () => state.Load(new byte[0]));
            ExpectError(Status.NullArgument, () => state.Load(null));
        }
    }

    static void DisposeTwiceAndUseAfterDispose() {
        var stream = new DnStream("cpu");
        var model = Model.Load(stream, FixtureDir(Fixtures[0]));
        var state = model.NewState();
        var sampler = new Sampler(null, model.VocabSize);
        var tokenizer = Tokenizer.Load(kjv);
        state.Dispose();
        state.Dispose();
        ExpectDisposed(() => { long p = state.Position; });
        ExpectDisposed(() => state.Forward(stream, new[] { 1 }, LogitsMode.Last));
        sampler.Dispose();
        sampler.Dispose();
        ExpectDisposed(() => sampler.Sample(new float[model.VocabSize]));
        tokenizer.Dispose();
        tokenizer.Dispose();
        ExpectDisposed(() => tokenizer.Encode("x"));
        model.Dispose();
        model.Dispose();
        ExpectDisposed(() => model.NewState());
        ExpectDisposed(() => { int v = model.VocabSize; });
        stream.Dispose();
        stream.Dispose();
        ExpectDisposed(() => { string d = stream.Device; });
    }

    static void StateKeepsModelAlive() {
        using (var stream = new DnStream("cpu")) {
            var model = Model.Load(stream, FixtureDir(Fixtures[0]));
            var state = model.NewState();
            state.Forward(stream, new[] { 1, 2, 3 }, LogitsMode.None);
            model.Dispose(); // the memory waits for the state
            Check(state.Position == 3, "the state still works after its model is disposed");
            Check(state.Save().Length > 0, "save after the model is disposed");
            ExpectDisposed(() => state.Forward(stream, new[] { 1 }, LogitsMode.Last));
            state.Dispose(); // frees the state, then the model
            // Undisposed models and states left to the finalizers, in whatever order they run.
            for (int i = 0; i < 20; ++i) {
                var m = Model.Load(stream, FixtureDir(Fixtures[i % 3]));
                var s = m.NewState();
                s.Forward(stream, new[] { 1, 2 }, LogitsMode.None);
                GC.Collect();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    static void CallbackFalseCancels() {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, kjv))
        using (var tokenizer = Tokenizer.Load(kjv))
        using (var state = model.NewState()) {
            int calls = 0;
            var r = state.Generate(stream, tokenizer, "In the beginning", new GenerateOptions { MaxTokens = 20, StopAtEos = false },
                                   (text, token) => ++calls < 3);
            Check(calls == 3, "3 callbacks, got " + calls);
            Check(r.StopReason == StopReason.Cancelled, "stop reason " + r.StopReason);
            Check(r.GeneratedTokens == 3, "3 tokens generated, got " + r.GeneratedTokens);
        }
    }

    static void CallbackExceptionReachesCaller() {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, kjv))
        using (var tokenizer = Tokenizer.Load(kjv))
        using (var state = model.NewState()) {
            var thrown = new InvalidOperationException("from the callback");
            int calls = 0;
            try {
                state.Generate(stream, tokenizer, "In the beginning", new GenerateOptions { MaxTokens = 20 }, (text, token) => {
                    if (++calls == 2) throw thrown;
                    return true;
                });
                throw new Exception("the callback's exception was not rethrown");
            } catch (InvalidOperationException e) {
                Check(ReferenceEquals(e, thrown), "the same exception reaches the caller: " + e);
            }
            Check(calls == 2, "no callback after the exception, got " + calls);
            long position = state.Position;
            Check(position > 0, "the state holds the prompt and the tokens");
            var r = state.Generate(stream, tokenizer, " and", new GenerateOptions { MaxTokens = 2 });
            Check(r.GeneratedTokens > 0 && state.Position > position, "the state is still usable");
        }
    }

    static void SaveLoadRoundTrip() {
        string fixture = Fixtures[2];
        int[] ids = Ints(fixture, "input_ids.i32");
        int half = ids.Length / 2;
        int[] head = ids.Take(half).ToArray(), tail = ids.Skip(half).ToArray();
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(fixture)))
        using (var state = model.NewState()) {
            state.Forward(stream, head, LogitsMode.None);
            byte[] blob = state.Save();
            float[] expected = state.Forward(stream, tail, LogitsMode.All);
            using (var restored = model.NewState()) {
                restored.Load(blob);
                Check(restored.Position == half, "position " + restored.Position);
                CheckBitIdentical(expected, restored.Forward(stream, tail, LogitsMode.All), "logits after load");
            }
            state.Load(blob);
            CheckBitIdentical(expected, state.Forward(stream, tail, LogitsMode.All), "logits after reload");
            using (var copy = state.Copy()) {
                Check(copy.Position == state.Position, "a copy is at the same position");
            }
        }
    }

    static void TokenizerRoundTrip() {
        using (var tokenizer = Tokenizer.Load(kjv)) {
            string text = "In the beginning God created the heaven and the earth. \u00e9\u4e2d\U0001F600";
            int[] ids = tokenizer.Encode(text);
            Check(ids.Length > 0, "tokens");
            Check(tokenizer.Decode(ids) == text, "Decode(Encode(text)) == text: " + tokenizer.Decode(ids));
            Check(tokenizer.VocabSize > 0, "vocab size");
            ExpectError(Status.TokenOutOfRange, () => tokenizer.Decode(new[] { tokenizer.VocabSize }));
        }
    }

    static void DecodeBatchMatchesForward() {
        string fixture = Fixtures[1];
        int[] ids = Ints(fixture, "input_ids.i32");
        int[][] prompts = { ids, ids.Take(3).ToArray(), new[] { 7, 8, 9, 10, 11 } };
        int[] next = { 11, 12, 13 };
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(fixture))) {
            int vocab = model.VocabSize;
            var batch = new State[3];
            var single = new State[3];
            try {
                for (int i = 0; i < 3; ++i) {
                    batch[i] = model.NewState();
                    batch[i].Forward(stream, prompts[i], LogitsMode.None);
                    single[i] = batch[i].Copy();
                }
                float[] logits = model.DecodeBatch(stream, batch, next);
                Check(logits.Length == 3 * vocab, "3 x vocab logits, got " + logits.Length);
                for (int i = 0; i < 3; ++i) {
                    float[] one = single[i].Forward(stream, new[] { next[i] }, LogitsMode.Last);
                    CheckBitIdentical(one, logits.Skip(i * vocab).Take(vocab).ToArray(), "batch row " + i);
                    Check(batch[i].Position == prompts[i].Length + 1, "each state advanced by one token");
                }
                ExpectError(Status.InvalidArgument, () => model.DecodeBatch(stream, batch, new[] { 1, 2 }));
                ExpectError(Status.InvalidArgument, () => model.DecodeBatch(stream, new[] { batch[0], batch[0] }, new[] { 1, 2 }));
                ExpectError(Status.TokenOutOfRange, () => model.DecodeBatch(stream, batch, new[] { 1, vocab, 2 }));
                for (int i = 0; i < 3; ++i) {
                    Check(batch[i].Position == prompts[i].Length + 1, "a failed batch advances no state");
                }
            } finally {
                for (int i = 0; i < 3; ++i) {
                    if (batch[i] != null) batch[i].Dispose();
                    if (single[i] != null) single[i].Dispose();
                }
            }
        }
    }

    static void SpanOverloadsMatchArrays() {
        string fixture = Fixtures[0];
        int[] ids = Ints(fixture, "input_ids.i32");
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, FixtureDir(fixture)))
        using (var a = model.NewState())
        using (var b = model.NewState())
        using (var sampler = new Sampler(new SamplerOptions { Temperature = 0 }, model.VocabSize)) {
            // A slice of a larger buffer, passed in place.
            var buffer = new int[ids.Length + 4];
            Array.Copy(ids, 0, buffer, 2, ids.Length);
            float[] expected = a.Forward(stream, ids, LogitsMode.All);
            float[] actual = b.Forward(stream, new ReadOnlySpan<int>(buffer, 2, ids.Length), LogitsMode.All);
            CheckBitIdentical(expected, actual, "span forward");
            int vocab = model.VocabSize;
            Check(sampler.Sample(new ReadOnlySpan<float>(actual, actual.Length - vocab, vocab))
                  == Argmax(actual, actual.Length - vocab, vocab), "span sample");
            ExpectError(Status.InvalidArgument, () => b.Forward(stream, ReadOnlySpan<int>.Empty, LogitsMode.Last));
            float[] batched = model.DecodeBatch(stream, new[] { a, b }, new ReadOnlySpan<int>(buffer, 2, 2));
            Check(batched.Length == 2 * vocab, "span decode batch");
        }
        using (var tokenizer = Tokenizer.Load(kjv)) {
            int[] t = tokenizer.Encode("In the beginning God created the heaven and the earth.");
            Check(tokenizer.Decode(new ReadOnlySpan<int>(t, 1, t.Length - 1)) == tokenizer.Decode(t.Skip(1).ToArray()),
                  "span decode");
            var many = Enumerable.Repeat(t, 40).SelectMany(x => x).ToArray();
            Check(tokenizer.Decode(new ReadOnlySpan<int>(many)) == tokenizer.Decode(many), "span decode, long text");
        }
    }

    static void DetokenizerMatchesDecode() {
        string text = "And God said, Let there be light: and there was light. \u00e9\u4e2d\U0001F600 caf\u00e9";
        var tokenizer = Tokenizer.Load(kjv);
        var detokenizer = new Detokenizer(tokenizer);
        int[] ids = tokenizer.Encode(text);
        for (int round = 0; round < 2; ++round) { // Flush resets it for a new sequence
            var streamed = new System.Text.StringBuilder();
            foreach (int id in ids) streamed.Append(detokenizer.Push(id));
            streamed.Append(detokenizer.Flush());
            Check(streamed.ToString() == tokenizer.Decode(ids), "pieces " + streamed + " == Decode");
            Check(streamed.ToString() == text, "pieces == text: " + streamed);
        }
        ExpectError(Status.TokenOutOfRange, () => detokenizer.Push(tokenizer.VocabSize));
        using (var skip = tokenizer.NewDetokenizer(Tokenizer.SkipSpecial)) {
            Check(skip.Push(ids[0]).Length + skip.Flush().Length > 0, "a detokenizer with flags");
        }
        tokenizer.Dispose(); // its memory waits for the detokenizer
        ExpectDisposed(() => tokenizer.Encode("x"));
        Check(detokenizer.Push(ids[0]).Length + detokenizer.Flush().Length > 0, "works after its tokenizer is disposed");
        detokenizer.Dispose();
        detokenizer.Dispose();
        ExpectDisposed(() => detokenizer.Flush());
        // Left to the finalizers, in whatever order they run.
        for (int i = 0; i < 10; ++i) {
            var t = Tokenizer.Load(kjv);
            var d = new Detokenizer(t);
            d.Push(ids[0]);
            GC.Collect();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    static float[] KjvLogits(DnStream stream, ModelOptions options) {
        using (var model = Model.Load(stream, kjv, options))
        using (var tokenizer = Tokenizer.Load(kjv))
        using (var state = model.NewState()) {
            return state.Forward(stream, tokenizer.Encode("In the beginning God created"), LogitsMode.All);
        }
    }

    static void ModelOptionsPrecisionAndWeights() {
        using (var stream = new DnStream("cpu")) {
            var defaults = new ModelOptions();
            Check(defaults.Precision == Precision.Exact && defaults.Weights == WeightMemory.Copy, "defaults");
            float[] baseline = KjvLogits(stream, null);
            float[] exact = KjvLogits(stream, new ModelOptions { Precision = Precision.Exact });
            Check(baseline.Length == exact.Length, "same shape");
            for (int i = 0; i < baseline.Length; ++i) {
                Check(Math.Abs(exact[i] - baseline[i]) <= 1e-4 * Math.Max(1.0, Math.Abs(baseline[i])),
                      "Exact logit " + i + ": " + exact[i] + " vs " + baseline[i]);
            }
            CheckBitIdentical(baseline, KjvLogits(stream, new ModelOptions { Weights = WeightMemory.Mapped }), "mapped weights");
            float[] fast = KjvLogits(stream, new ModelOptions { Precision = Precision.Fast, Weights = WeightMemory.Mapped });
            Check(fast.Length == baseline.Length, "Fast logits");
            Check(fast.All(v => !float.IsNaN(v) && !float.IsInfinity(v)), "Fast logits are finite");
            using (var model = Model.Load(stream, kjv, new ModelOptions { Weights = WeightMemory.Mapped })) {
                Check(model.WeightBytes > 0 && model.NumParams > 0, "weight bytes " + model.WeightBytes);
                Check(Enum.IsDefined(typeof(DType), model.WeightDtype), "weight dtype");
            }
        }
    }

    static void ProgressCallbackAndCancel() {
        using (var stream = new DnStream("cpu")) {
            int calls = 0;
            ulong last = 0, total = 0;
            var options = new ModelOptions {
                Progress = (done, all) => {
                    Check(done >= last && done <= all, "done " + done + " of " + all + " after " + last);
                    ++calls;
                    last = done;
                    total = all;
                    return true;
                }
            };
            using (var model = Model.Load(stream, kjv, options)) {
                Check(calls > 0, "the progress callback was called");
                Check(last == total && total > 0, "the load ends at " + total + " bytes");
                Check(model.VocabSize > 0, "the model loaded");
            }
            int cancelled = 0;
            var e = ExpectError(Status.InvalidArgument,
                                () => Model.Load(stream, kjv, new ModelOptions { Progress = (done, all) => ++cancelled < 2 }));
            Check(e.Message.Contains("cancelled"), "the message says cancelled: " + e.Message);
            Check(cancelled == 2, "no call after cancelling, got " + cancelled);
            var thrown = new InvalidOperationException("from the progress callback");
            int throwing = 0;
            try {
                Model.Load(stream, kjv, new ModelOptions { Progress = (done, all) => { ++throwing; throw thrown; } });
                throw new Exception("the callback's exception was not rethrown");
            } catch (InvalidOperationException x) {
                Check(ReferenceEquals(x, thrown), "the same exception reaches the caller: " + x);
            }
            Check(throwing == 1, "no call after the exception, got " + throwing);
            using (var again = Model.Load(stream, kjv, new ModelOptions())) {
                Check(again.VocabSize > 0, "loading works after a cancelled load");
            }
        }
    }

    /// <summary>A copy of the hybrid fixture whose attention layers are global (no window_size).</summary>
    static string GlobalAttentionFixture() {
        string source = FixtureDir("deltanet-hybrid-tiny");
        string dir = Path.Combine(Path.GetTempPath(), "dn-csharp-global-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string config = File.ReadAllText(Path.Combine(source, "config.json"));
        string global = Regex.Replace(config, ",\\s*\"window_size\"\\s*:\\s*\\d+", "");
        Check(global != config && !global.Contains("window_size"), "window_size removed from the config");
        File.WriteAllText(Path.Combine(dir, "config.json"), global);
        File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        return dir;
    }

    static int[] SomeTokens(int n, int seed) {
        var v = new int[n];
        for (int i = 0; i < n; ++i) v[i] = (seed * 131 + i * 17) % 512;
        return v;
    }

    static void MaxContextGivesContextFull() {
        string dir = GlobalAttentionFixture();
        try {
            using (var stream = new DnStream("cpu"))
            using (var model = Model.Load(stream, dir))
            using (var small = model.NewState(new StateOptions { MaxContext = 16 }))
            using (var large = model.NewState()) {
                Check(new StateOptions().MaxContext == 0, "default MaxContext");
                Check(model.NumAttentionLayers > 0, "a hybrid model");
                small.Forward(stream, SomeTokens(10, 1), LogitsMode.None);
                byte[] before = small.Save();
                ExpectError(Status.ContextFull, () => small.Forward(stream, SomeTokens(7, 2), LogitsMode.All));
                Check(small.Position == 10, "a failed forward does not advance the state");
                Check(before.SequenceEqual(small.Save()), "nor change it");
                small.Forward(stream, SomeTokens(6, 3), LogitsMode.Last);
                Check(small.Position == 16, "exactly full");
                ExpectError(Status.ContextFull, () => small.Forward(stream, new[] { 1 }, LogitsMode.Last));
                large.Forward(stream, SomeTokens(17, 4), LogitsMode.Last);
                Check(large.Position == 17, "a default state holds more");
                ExpectError(Status.InvalidArgument, () => model.NewState(new StateOptions { MaxContext = -5 }));
            }
        } finally {
            Directory.Delete(dir, true);
        }
    }

    static void LogitBiasPicksToken() {
        using (var stream = new DnStream("cpu"))
        using (var model = Model.Load(stream, kjv))
        using (var tokenizer = Tokenizer.Load(kjv))
        using (var state = model.NewState()) {
            int vocab = model.VocabSize;
            float[] logits = state.Forward(stream, tokenizer.Encode("In the beginning"), LogitsMode.Last);
            int best = Argmax(logits, 0, vocab);
            int target = best == 100 ? 101 : 100;
            var options = new SamplerOptions { LogitBias = { [target] = 100f } };
            Check(options.LogitBias[target] == 100f, "the bias is kept");
            for (ulong seed = 0; seed < 5; ++seed) {
                options.Seed = seed;
                using (var sampler = new Sampler(options, vocab)) {
                    Check(sampler.Sample(logits) == target, "a +100 bias picks token " + target);
                }
            }
            using (var plain = new Sampler(new SamplerOptions { Temperature = 0 }, vocab))
            using (var banned = new Sampler(new SamplerOptions { Temperature = 0, LogitBias = { { best, float.NegativeInfinity } } },
                                            vocab)) {
                Check(plain.Sample(logits) == best, "greedy picks the argmax");
                Check(banned.Sample(logits) != best, "a banned token is never picked");
            }
            ExpectError(Status.InvalidArgument, () => new Sampler(new SamplerOptions { LogitBias = { [vocab] = 1f } }, vocab));
            ExpectError(Status.InvalidArgument, () => new Sampler(new SamplerOptions { LogitBias = { [1] = float.NaN } }, vocab));
            // Through Generate's own sampler too.
            var tokens = new List<int>();
            state.Reset();
            var r = state.Generate(stream, tokenizer, "In the beginning",
                                   new GenerateOptions { MaxTokens = 4, StopAtEos = false,
                                                         Sampling = new SamplerOptions { LogitBias = { [target] = 100f } } },
                                   (text, token) => { tokens.Add(token); return true; });
            Check(r.GeneratedTokens == 4 && tokens.Count == 4, "4 tokens, got " + string.Join(",", tokens));
            Check(tokens.All(t => t == target), "Generate picks the biased token: " + string.Join(",", tokens));
        }
    }
}
