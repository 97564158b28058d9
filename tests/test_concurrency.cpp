// Concurrency, as deltanet.h's "Threads:" rules allow it: one model shared by 8 threads, each with its
// own stream and states; one stream (and its state) handed from thread to thread; one tokenizer used
// by 8 threads at once; generation on 4 threads sharing model and tokenizer; dn_last_error per thread.
// Results must equal the single-threaded ones bit for bit. CI also runs these under ThreadSanitizer
// (DN_TSAN; ctest -L threads). Every stream here has one worker thread, so that all threading is the
// test's own std::thread (OpenMP's runtime is not instrumented for TSan; see tests/tsan.supp).
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/dn_test.h"
#include "support/on_threads.h"

namespace {

using namespace dntest;

// Sequence `which` of a thread: a 40-token prefill, 4 decode steps, a clone that takes 2 more, and a
// save/load round trip into a third state; every logit row and the blobs, concatenated.
std::vector<float> run_sequence(dn_stream *stream, const dn_model *model, int which) {
    const int32_t vocab = vocab_size(model);
    const std::vector<int32_t> tokens = some_tokens(46, vocab, 300 + uint32_t(which));
    StatePtr state = make_state(model);
    std::vector<float> all = forward(stream, model, state.get(), {tokens.begin(), tokens.begin() + 40}, DN_LOGITS_ALL);
    for (int i = 40; i < 44; ++i) {
        const std::vector<float> row = step(stream, model, state.get(), tokens[size_t(i)]);
        all.insert(all.end(), row.begin(), row.end());
    }
    StatePtr clone = clone_state(state.get());
    for (int i = 44; i < 46; ++i) {
        const std::vector<float> row = step(stream, model, clone.get(), tokens[size_t(i)]);
        all.insert(all.end(), row.begin(), row.end());
    }
    StatePtr copy = make_state(model);
    load_state(copy.get(), save_state(clone.get()));
    const std::vector<float> row = step(stream, model, copy.get(), tokens[0]);
    all.insert(all.end(), row.begin(), row.end());
    return all;
}

TEST(Concurrency, OneModelSharedByEightThreads) {
    constexpr int kThreads = 8;
    for (const char *fixture : {"deltanet-hybrid-tiny", "gated-deltanet-tiny"}) {
        StreamPtr stream = one_worker_stream();
        ModelPtr model = load_model(stream.get(), fixture_dir(fixture));
        std::vector<std::vector<float>> serial(kThreads), parallel(kThreads);
        for (int i = 0; i < kThreads; ++i) serial[size_t(i)] = run_sequence(stream.get(), model.get(), i);
        const std::vector<std::string> errors = on_threads(kThreads, [&](int i) {
            StreamPtr own = one_worker_stream();
            parallel[size_t(i)] = run_sequence(own.get(), model.get(), i);
        });
        for (int i = 0; i < kThreads; ++i) {
            EXPECT_EQ(errors[size_t(i)], "") << fixture << ", thread " << i;
            EXPECT_TRUE(bit_equal(parallel[size_t(i)], serial[size_t(i)])) << fixture << ", thread " << i;
        }
    }
}

// A stream and a state used by two threads in turn (never at once: the API's rule), the hand-over
// ordered by a mutex: the same numbers as one thread doing it all.
TEST(Concurrency, StreamUsedFromTwoThreadsInTurn) {
    StreamPtr stream = one_worker_stream();
    ModelPtr model = load_model(stream.get(), fixture_dir("deltanet-tiny"));
    const std::vector<int32_t> tokens = some_tokens(24, vocab_size(model.get()), 5);

    StatePtr serial_state = make_state(model.get());
    std::vector<std::vector<float>> serial;
    for (int32_t t : tokens) serial.push_back(step(stream.get(), model.get(), serial_state.get(), t));

    StatePtr state = make_state(model.get());
    std::vector<std::vector<float>> turns(tokens.size());
    std::mutex mutex;
    size_t next = 0;  // the next token to feed; thread i feeds the tokens with index % 2 == i
    const std::vector<std::string> errors = on_threads(2, [&](int i) {
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (next >= tokens.size()) return;
                if (next % 2 == size_t(i)) {
                    turns[next] = step(stream.get(), model.get(), state.get(), tokens[next]);
                    ++next;
                }
            }
            std::this_thread::yield();  // the other thread's turn
        }
    });
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");
    for (size_t i = 0; i < tokens.size(); ++i) EXPECT_TRUE(bit_equal(turns[i], serial[i])) << "token " << i;
    EXPECT_TRUE(save_state(state.get()) == save_state(serial_state.get()));
}

// A stream created on one thread, used on a second, destroyed on a third.
TEST(Concurrency, StreamMovesBetweenThreads) {
    StreamPtr stream = one_worker_stream();
    ModelPtr model = load_model(stream.get(), fixture_dir("deltanet-tiny"));
    const std::vector<float> expected = run_sequence(stream.get(), model.get(), 1);
    dn_stream *moving = one_worker_stream().release();
    std::vector<float> got;
    std::thread([&] { got = run_sequence(moving, model.get(), 1); }).join();
    std::thread([&] { dn_stream_destroy(moving); }).join();
    EXPECT_TRUE(bit_equal(got, expected));
}

TEST(Concurrency, TokenizerSharedByEightThreads) {
    dn_tokenizer *raw = nullptr;
    ASSERT_DN_OK(dn_tokenizer_load(shared_path("models/kjv-deltanet-6m").string().c_str(), &raw));
    std::unique_ptr<dn_tokenizer, decltype(&dn_tokenizer_free)> tokenizer(raw, dn_tokenizer_free);
    auto text_of = [](int i) {
        return "And God said, Let there be light: and there was light " + std::to_string(i) +
               ". <|endoftext|> \xe2\x80\x94 caf\xc3\xa9 \xff";
    };
    // Encode, decode and stream-decode: the single-threaded results first.
    auto work = [&](int i) {
        const std::string text = text_of(i);
        std::vector<int32_t> ids(256);
        size_t n = 0;
        check(dn_tokenizer_encode(tokenizer.get(), text.data(), text.size(), DN_ENCODE_PARSE_SPECIAL, ids.data(),
                                  ids.size(), &n), "dn_tokenizer_encode");
        ids.resize(n);
        std::string decoded(1024, '\0');
        size_t len = 0;
        check(dn_tokenizer_decode(tokenizer.get(), ids.data(), ids.size(), 0, decoded.data(), decoded.size(), &len),
              "dn_tokenizer_decode");
        decoded.resize(len);
        dn_detokenizer *d = nullptr;
        check(dn_detokenizer_create(tokenizer.get(), 0, &d), "dn_detokenizer_create");
        std::string streamed;
        for (int32_t id : ids) {
            const char *piece = nullptr;
            size_t piece_len = 0;
            check(dn_detokenizer_push(d, id, &piece, &piece_len), "dn_detokenizer_push");
            streamed.append(piece, piece_len);
        }
        dn_detokenizer_free(d);
        return std::make_pair(ids, decoded + "|" + streamed);
    };
    constexpr int kThreads = 8;
    std::vector<std::pair<std::vector<int32_t>, std::string>> serial, parallel(kThreads);
    for (int i = 0; i < kThreads; ++i) serial.push_back(work(i));
    const std::vector<std::string> errors = on_threads(kThreads, [&](int i) {
        for (int repeat = 0; repeat < 20; ++repeat) parallel[size_t(i)] = work(i);
    });
    for (int i = 0; i < kThreads; ++i) {
        EXPECT_EQ(errors[size_t(i)], "") << "thread " << i;
        EXPECT_EQ(parallel[size_t(i)], serial[size_t(i)]) << "thread " << i;
    }
}

TEST(Concurrency, GenerationOnFourThreadsSharingModelAndTokenizer) {
    const fs::path kjv = shared_path("models/kjv-deltanet-6m");
    StreamPtr stream = one_worker_stream();
    ModelPtr model = load_model(stream.get(), kjv);
    dn_tokenizer *raw = nullptr;
    ASSERT_DN_OK(dn_tokenizer_load(kjv.string().c_str(), &raw));
    std::unique_ptr<dn_tokenizer, decltype(&dn_tokenizer_free)> tokenizer(raw, dn_tokenizer_free);
    const char *const prompts[] = {"In the beginning", "And the LORD said", "Blessed are", "The LORD is my"};
    auto generate = [&](dn_stream *s, int i) {
        dn_generate_options options;
        check(dn_generate_options_init(&options), "dn_generate_options_init");
        options.max_tokens = 12;
        std::string text;
        options.user_data = &text;
        options.callback = [](const char *piece, size_t len, int32_t, void *user) {
            static_cast<std::string *>(user)->append(piece, len);
            return 1;
        };
        StatePtr state = make_state(model.get());
        const std::string prompt = prompts[i];
        check(dn_generate(s, model.get(), tokenizer.get(), state.get(), prompt.data(), prompt.size(), &options, nullptr),
              "dn_generate");
        return text;
    };
    std::vector<std::string> serial, parallel(4);
    for (int i = 0; i < 4; ++i) serial.push_back(generate(stream.get(), i));
    const std::vector<std::string> errors = on_threads(4, [&](int i) {
        StreamPtr own = one_worker_stream();
        parallel[size_t(i)] = generate(own.get(), i);
    });
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(errors[size_t(i)], "") << "thread " << i;
        EXPECT_EQ(parallel[size_t(i)], serial[size_t(i)]) << "thread " << i;
    }
}

// Each thread's last error is its own, even while other threads fail and succeed at once.
TEST(Concurrency, LastErrorIsPerThread) {
    const std::vector<std::string> errors = on_threads(8, [&](int i) {
        for (int repeat = 0; repeat < 200; ++repeat) {
            dn_stream *stream = nullptr;
            if (i % 2) {
                const std::string device = "nonsense-" + std::to_string(i);
                if (dn_stream_create(device.c_str(), nullptr, &stream) == DN_OK) throw std::runtime_error("accepted");
                if (std::string(dn_last_error()).find(device) == std::string::npos)
                    throw std::runtime_error(std::string("another thread's message: ") + dn_last_error());
            } else {
                int32_t major = 0;
                dn_version(&major, nullptr, nullptr);
                if (*dn_last_error() != '\0') throw std::runtime_error("a success left a message");
            }
        }
    });
    for (int i = 0; i < 8; ++i) EXPECT_EQ(errors[size_t(i)], "") << "thread " << i;
}

}  // namespace
