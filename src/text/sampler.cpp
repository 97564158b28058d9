// The sampler. Steps (text.h): logit bias; repetition, presence and frequency penalties over the
// window of accepted tokens; then greedy at temperature 0, else top-k, top-p, min-p, temperature, draw.
//
// Temperature comes last, as in text.h's order and llama.cpp's default chain (HF applies it first):
// top-k / top-p / min-p then pick the same candidates at every temperature (top_p = 0.9 always means
// 90% of the model's own probability mass), and temperature only reshapes the odds among them. The
// survivors are drawn with weights exp((logit - max) / T). top_k = 1 leaves one candidate, the greedy
// one (same total order), so it equals greedy at any temperature; so does top_p = 0, which keeps
// only the top token.
//
// Same draws on every platform and compiler: our own generator (random.h); our own exp (exp_neg)
// made of +, -, *, / and exact power-of-two scaling, since libm's exp may differ in the last bit;
// this file is compiled with -ffp-contract=off (src/text/CMakeLists.txt) so that no compiler fuses
// a * b + c into an FMA, which rounds differently; every sum runs in a fixed order; every sort uses a
// total order (logit descending, then id ascending), and the candidates the draw walks are either
// fully sorted or untouched in id order, never in an order that nth_element happened to leave.
#include "text/sampler.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace dn::text {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// 1/i! for i = 0..13, rounded once at compile time.
constexpr std::array<double, 14> kInverseFactorials = [] {
    std::array<double, 14> a{};
    double factorial = 1;  // exact: 13! < 2^53
    for (int i = 0; i < 14; ++i) {
        if (i > 1) factorial *= i;
        a[size_t(i)] = 1.0 / factorial;
    }
    return a;
}();

// e^x for x <= 0 in double, to within a few ulp, identically everywhere. x = k ln2 + r with
// |r| <= ln2 / 2 (ln2 split in two so that k * ln2 loses nothing), e^r by its Taylor series to r^13
// (truncation < 1e-17), then scaled by 2^k. Below -708 it returns 0 (weights that small are noise
// next to the top token's 1) so that the scaling never rounds into subnormals.
double exp_neg(double x) {
    if (!(x > -708.0)) return 0.0;
    constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 with its low 32 bits zero
    constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
    constexpr double kInvLn2 = 1.44269504088896338700e+00;
    // The nearest integer to x / ln2 (<= 0): truncation toward zero of t - 0.5, exact and cheaper
    // than floor (a libm call on baseline x86-64).
    const int k = int(x * kInvLn2 - 0.5);
    const double kd = k;
    const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
    // Estrin's scheme (a shallow tree of products instead of Horner's 13-deep chain): a fixed
    // expression, so it rounds the same everywhere; it only lets the CPU overlap more of it.
    const auto &c = kInverseFactorials;
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double q0 = c[0] + c[1] * r, q1 = c[2] + c[3] * r, q2 = c[4] + c[5] * r, q3 = c[6] + c[7] * r;
    const double q4 = c[8] + c[9] * r, q5 = c[10] + c[11] * r, q6 = c[12] + c[13] * r;
    const double s0 = q0 + q1 * r2, s1 = q2 + q3 * r2, s2 = q4 + q5 * r2;
    const double p = (s0 + s1 * r4) + (s2 + q6 * r4) * r8;
    // 2^k built from its bits (k >= -1022 here, a normal number): the product is exact.
    return p * std::bit_cast<double>(uint64_t(k + 1023) << 52);
}

bool before(const auto &a, const auto &b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace

Sampler::Sampler(const SamplerOptions &options, int32_t vocab_size) : options_(options), vocab_(vocab_size) {
    const SamplerOptions &o = options_;
    if (vocab_size <= 0) fail(DN_ERR_INVALID_ARGUMENT, "sampler vocab_size is ", vocab_size, " (must be > 0)");
    if (!(o.temperature >= 0) || std::isinf(o.temperature))
        fail(DN_ERR_INVALID_ARGUMENT, "temperature is ", o.temperature, " (must be a finite number >= 0)");
    if (o.top_k < 0) fail(DN_ERR_INVALID_ARGUMENT, "top_k is ", o.top_k, " (must be >= 0; 0 = off)");
    if (!(o.top_p >= 0 && o.top_p <= 1)) fail(DN_ERR_INVALID_ARGUMENT, "top_p is ", o.top_p, " (must be in [0, 1])");
    if (!(o.min_p >= 0 && o.min_p <= 1)) fail(DN_ERR_INVALID_ARGUMENT, "min_p is ", o.min_p, " (must be in [0, 1])");
    if (!(o.repetition_penalty > 0) || std::isinf(o.repetition_penalty))
        fail(DN_ERR_INVALID_ARGUMENT, "repetition_penalty is ", o.repetition_penalty, " (must be finite and > 0)");
    if (!std::isfinite(o.presence_penalty))
        fail(DN_ERR_INVALID_ARGUMENT, "presence_penalty is ", o.presence_penalty, " (must be finite)");
    if (!std::isfinite(o.frequency_penalty))
        fail(DN_ERR_INVALID_ARGUMENT, "frequency_penalty is ", o.frequency_penalty, " (must be finite)");
    if (o.penalty_last_n < -1)
        fail(DN_ERR_INVALID_ARGUMENT, "penalty_last_n is ", o.penalty_last_n, " (must be >= -1; -1 = all)");
    for (const auto &[token, bias] : o.logit_bias) {
        if (token < 0 || token >= vocab_size)
            fail(DN_ERR_INVALID_ARGUMENT, "logit_bias token ", token, " is outside the vocabulary [0, ", vocab_size, ")");
        if (std::isnan(bias)) fail(DN_ERR_INVALID_ARGUMENT, "logit_bias for token ", token, " is NaN");
    }
    penalties_on_ = o.penalty_last_n != 0 &&
                    (o.repetition_penalty != 1 || o.presence_penalty != 0 || o.frequency_penalty != 0);
    random_.seed_with(o.seed);
    // Everything sample() needs, allocated once here.
    logits_.resize(size_t(vocab_));
    candidates_.reserve(size_t(vocab_));
    if (penalties_on_) {
        counts_.assign(size_t(vocab_), 0);
        listed_.assign(size_t(vocab_), 0);
    }
}

int32_t Sampler::vocab_size() const { return vocab_; }

void Sampler::reset(uint64_t seed) {
    random_.seed_with(seed);
    window_.clear();
    for (int32_t t : seen_) counts_[size_t(t)] = 0, listed_[size_t(t)] = 0;
    seen_.clear();
}

void Sampler::accept(std::span<const int32_t> tokens) {
    for (int32_t t : tokens)  // all checked first, so that a bad id records nothing
        if (t < 0 || t >= vocab_)
            fail(DN_ERR_TOKEN_OUT_OF_RANGE, "accepted token ", t, " is outside the vocabulary [0, ", vocab_, ")");
    if (!penalties_on_) return;
    for (int32_t t : tokens) record(t);
}

void Sampler::record(int32_t token) {
    ++counts_[size_t(token)];
    if (!listed_[size_t(token)]) listed_[size_t(token)] = 1, seen_.push_back(token);
    if (options_.penalty_last_n < 0) return;  // -1: every token counts forever
    window_.push_back(token);
    if (window_.size() > size_t(options_.penalty_last_n)) {
        --counts_[size_t(window_.front())];
        window_.pop_front();
    }
}

int32_t Sampler::sample(std::span<const float> logits) {
    if (logits.size() != size_t(vocab_))
        fail(DN_ERR_INVALID_ARGUMENT, "n_logits is ", logits.size(), "; the sampler's vocab_size is ", vocab_);
    apply_bias_and_penalties(logits);
    if (options_.temperature == 0) return greedy();
    const size_t k = size_t(options_.top_k);
    if (k > 0 && k < size_t(vocab_))
        collect_top_k(k);
    else
        collect_candidates();
    weighted_ = options_.top_p < 1 || options_.min_p > 0;  // both look at probabilities at temperature 1
    if (weighted_)
        for (Candidate &c : candidates_) c.weight = exp_neg(double(c.logit) - double(max_logit_));
    top_p();
    min_p();
    return draw();
}

void Sampler::apply_bias_and_penalties(std::span<const float> logits) {
    std::copy(logits.begin(), logits.end(), logits_.begin());
    for (const auto &[token, bias] : options_.logit_bias) logits_[size_t(token)] += bias;
    if (!penalties_on_) return;
    const float r = options_.repetition_penalty;
    size_t kept = 0;
    for (int32_t t : seen_) {
        const int32_t count = counts_[size_t(t)];
        if (count == 0) {  // slid out of the window: forget it
            listed_[size_t(t)] = 0;
            continue;
        }
        seen_[kept++] = t;
        float &l = logits_[size_t(t)];
        if (r != 1) l = l > 0 ? l / r : l * r;
        l -= options_.presence_penalty;
        l -= float(count) * options_.frequency_penalty;
    }
    seen_.resize(kept);
}

// Argmax; the first (lowest id) wins ties, and NaN never wins (it compares false), as if -inf.
int32_t Sampler::greedy() const {
    int32_t best = -1;
    float best_logit = -kInf;
    for (int32_t i = 0; i < vocab_; ++i)
        if (logits_[size_t(i)] > best_logit) best_logit = logits_[size_t(i)], best = i;
    if (best < 0) fail(DN_ERR_INVALID_ARGUMENT, "every token is banned (all logits are -inf or NaN after the logit bias)");
    return best;
}

// The tokens that can be drawn, in id order: -inf and NaN cannot. If some logits are +inf, only those
// can, all equally (as logit 0).
void Sampler::collect_candidates() {
    float max = -kInf;
    for (float l : logits_) max = l > max ? l : max;
    if (!(max > -kInf))
        fail(DN_ERR_INVALID_ARGUMENT, "every token is banned (all logits are -inf or NaN after the logit bias)");
    candidates_.clear();
    sorted_ = 0;
    if (max == kInf) {
        for (int32_t i = 0; i < vocab_; ++i)
            if (logits_[size_t(i)] == kInf) candidates_.push_back({0.0f, i, 0.0});
        max_logit_ = 0;
        return;
    }
    for (int32_t i = 0; i < vocab_; ++i)
        if (logits_[size_t(i)] > -kInf) candidates_.push_back({logits_[size_t(i)], i, 0.0});
    max_logit_ = max;
}

// The k best tokens in the total order, sorted, in one pass over the logits with a heap of the k
// best so far (worst on top): O(vocab + k log k) in practice, since few logits beat the worst kept.
// Which tokens are kept does not depend on how the standard library orders a heap.
void Sampler::collect_top_k(size_t k) {
    candidates_.clear();
    const auto better = [](const Candidate &a, const Candidate &b) { return before(a, b); };
    for (int32_t i = 0; i < vocab_; ++i) {
        const float l = logits_[size_t(i)];
        if (!(l > -kInf)) continue;  // banned, or NaN
        if (candidates_.size() < k) {
            candidates_.push_back({l, i, 0.0});
            std::push_heap(candidates_.begin(), candidates_.end(), better);
        } else if (l > candidates_.front().logit) {  // equal loses: its id is higher
            std::pop_heap(candidates_.begin(), candidates_.end(), better);
            candidates_.back() = {l, i, 0.0};
            std::push_heap(candidates_.begin(), candidates_.end(), better);
        }
    }
    if (candidates_.empty())
        fail(DN_ERR_INVALID_ARGUMENT, "every token is banned (all logits are -inf or NaN after the logit bias)");
    std::sort_heap(candidates_.begin(), candidates_.end(), better);
    sorted_ = candidates_.size();
    if (candidates_[0].logit == kInf) {  // as in collect_candidates: only the +inf ones, equally
        size_t n = 0;
        while (n < candidates_.size() && candidates_[n].logit == kInf) candidates_[n++].logit = 0;
        candidates_.resize(n);
        sorted_ = n;
    }
    max_logit_ = candidates_[0].logit;
}

// Makes candidates_[0, n) the n first in the total order, sorted, without sorting the rest:
// O(size + n log n). Extending an already sorted prefix only looks at what follows it.
void Sampler::sort_prefix(size_t n) {
    n = std::min(n, candidates_.size());
    if (n <= sorted_) return;
    const auto cmp = [](const Candidate &a, const Candidate &b) { return before(a, b); };
    const auto first = candidates_.begin() + std::ptrdiff_t(sorted_), nth = candidates_.begin() + std::ptrdiff_t(n);
    if (nth != candidates_.end()) std::nth_element(first, nth, candidates_.end(), cmp);
    std::sort(first, nth, cmp);
    sorted_ = n;
}

// The shortest prefix of the sorted candidates whose probability reaches top_p (at least one token).
// Without top-k the candidates are unsorted: a histogram of the mass by distance below the top logit
// (bins of 1/4) tells which logits the prefix can reach; those are partitioned off and sorted, and
// only they (rounding aside: then the sorted prefix grows in chunks) are walked. The kept set is
// the same whatever the histogram says; it only saves sorting the whole vocabulary.
void Sampler::top_p() {
    if (options_.top_p >= 1) return;
    double total = 0;
    for (const Candidate &c : candidates_) total += c.weight;  // in the current (canonical) order
    const double target = double(options_.top_p) * total;
    if (sorted_ < candidates_.size()) {
        constexpr int kBins = 64;
        const auto bin = [max = double(max_logit_)](const Candidate &c) {
            return int(std::min(double(kBins - 1), (max - double(c.logit)) * 4));  // monotonic in the logit
        };
        double mass[kBins] = {};
        for (const Candidate &c : candidates_) mass[bin(c)] += c.weight;
        int cut = 0;
        for (double sum = mass[0]; sum < target && cut < kBins - 1;) sum += mass[++cut];
        // Every logit in bins <= cut beats every other: a prefix of the total order.
        const auto end = std::partition(candidates_.begin(), candidates_.end(),
                                        [&](const Candidate &c) { return bin(c) <= cut; });
        sorted_ = 0;
        sort_prefix(size_t(end - candidates_.begin()));
    }
    double sum = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
        if (i == sorted_) sort_prefix(std::max<size_t>(64, 2 * sorted_));
        sum += candidates_[i].weight;
        if (sum >= target) {
            candidates_.resize(i + 1);
            sorted_ = i + 1;
            return;
        }
    }
}

// Keeps the tokens with p >= min_p x p_max, i.e. weight >= min_p (the top token's weight is 1).
// A filter by value, so it does not rely on exp_neg being monotonic to the last bit.
void Sampler::min_p() {
    if (options_.min_p <= 0) return;
    const double threshold = options_.min_p;
    const auto keep = [threshold](const Candidate &c) { return c.weight >= threshold; };
    const size_t n = size_t(std::count_if(candidates_.begin(), candidates_.end(), keep));
    if (n == candidates_.size()) return;  // untouched, so still in a canonical order
    std::partition(candidates_.begin(), candidates_.end(), keep);
    candidates_.resize(n);
    sorted_ = 0;
    sort_prefix(n);
}

// One uniform number per call whatever the candidates, so the generator's position depends only on
// how many tokens were drawn. Picks the first candidate whose running weight exceeds u x total.
int32_t Sampler::draw() {
    const double u = random_.uniform();
    if (candidates_.size() == 1) return candidates_[0].id;
    const double t = options_.temperature;
    if (!weighted_ || t != 1)  // at temperature 1 the filters' weights are the ones to draw with
        for (Candidate &c : candidates_) c.weight = exp_neg((double(c.logit) - double(max_logit_)) / t);
    double total = 0;
    for (const Candidate &c : candidates_) total += c.weight;
    const double target = u * total;
    double sum = 0;
    int32_t last_positive = candidates_[0].id;
    for (const Candidate &c : candidates_) {
        if (c.weight <= 0) continue;
        sum += c.weight;
        last_positive = c.id;
        if (target < sum) return c.id;
    }
    return last_positive;  // u x total rounded up to total
}

}  // namespace dn::text
