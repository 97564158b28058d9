// The tensor-core delta-rule kernels of the CUDA backend (backends/cuda/delta_rule_tc_split.cu), run
// on the host without a GPU or a CUDA toolkit, against a float64 recurrent reference.
//
// The .cu is included with DN_TC_EMULATE: its device code is plain C++ over a few primitives that
// this file supplies. A block runs as one fiber per CUDA thread (its own stack; switched by a few
// instructions on x86-64 Linux, by ucontext elsewhere), taking turns on one OS thread (threadIdx
// set at each switch, __syncthreads a barrier that yields until all arrive);
// warp-collective operations (mma.sync, ldmatrix, shuffles) meet at a per-warp barrier, where each
// lane publishes its registers and reads back what the hardware would give it, from the PTX
// fragment layouts. mma accumulates in float64 and rounds once to float32
// (the hardware's float32 accumulation differs in the last bits only). Shared memory and scratch
// start as NaN, so a read of anything not written shows in the result; cp.async copies are either
// done at once or held until the cp.async.wait_group that the code relies on (alternating by case),
// so that a missing wait or a buffer refilled too early shows too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// ---------------------------------------------------------------- the emulated CUDA
#define DN_TC_EMULATE 1
#define __host__
#define __device__
#define __forceinline__ inline

struct EmuDim3 {
    unsigned x = 0, y = 0, z = 0;
};
extern EmuDim3 threadIdx;

struct float4 {
    float x, y, z, w;
};
struct uint2 {
    uint32_t x, y;
};
struct uint4 {
    uint32_t x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uint2 make_uint2(uint32_t x, uint32_t y) { return {x, y}; }
inline uint4 make_uint4(uint32_t x, uint32_t y, uint32_t z, uint32_t w) { return {x, y, z, w}; }

// Switching between fibers. On x86-64 a few instructions (callee-saved registers, the stack
// pointer, the SSE and x87 control words), since swapcontext costs a system call per switch; else
// ucontext.
#if defined(__x86_64__) && defined(__linux__) && !defined(EMU_NO_FAST_SWITCH)
#define EMU_FAST_SWITCH 1
extern "C" void emu_switch(void **save_sp, void *next_sp);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
    .section .note.GNU-stack,"",@progbits
    .text
)");
#endif

namespace emu {

// cp.async copies of one thread (late mode: held until the wait that the code relies on).
struct Copy {
    void *dst;
    const void *src;
    size_t bytes;
};

// A CUDA thread is a fiber (ucontext, its own stack); the fibers of a block take turns on the
// calling thread, each running until it reaches a barrier.
constexpr size_t kStack = 256 * 1024;
struct Fiber {
#ifdef EMU_FAST_SWITCH
    void *sp = nullptr;  // saved stack pointer
#else
    ucontext_t ctx;
#endif
    char *stack = nullptr;
    unsigned tid = 0;
    bool done = false;
    std::deque<std::vector<Copy>> groups;  // committed cp.async groups, oldest first
    std::vector<Copy> open;                // issued since the last commit
    unsigned warp_ops = 0;                 // warp-collective operations so far: their parity picks the slot
    void *fake_stack = nullptr;            // AddressSanitizer's bookkeeping of the switch
    const struct Barrier *waits_at = nullptr;  // the barrier it waits at (the scheduler skips it until
    unsigned waits_for = 0;                    // the barrier's generation moves on), or null
};
struct Barrier {
    int n = 0, count = 0;
    unsigned generation = 0;
};
// What the lanes of a warp publish at a collective operation; two slots, by the operation's parity,
// so that one barrier per operation suffices (a lane can be at most one operation ahead).
struct Warp {
    Barrier bar;
    uint32_t a[2][32][4], b[2][32][2];
    float c[2][32][4], f[2][32];
    const uint16_t *p[2][32];
};
struct Block {
    Barrier bar;
    std::vector<Warp> warps;
    std::vector<Fiber> fibers;
    const std::function<void(unsigned char *)> *body = nullptr;
    unsigned char *sm = nullptr;
};

Block *block = nullptr;
Fiber *current = nullptr;
#ifdef EMU_FAST_SWITCH
void *scheduler_sp = nullptr;
#else
ucontext_t scheduler;
#endif
std::vector<std::unique_ptr<char[]>> stacks;  // reused by every block
const void *scheduler_stack = nullptr;  // AddressSanitizer: the scheduler's stack
size_t scheduler_stack_size = 0;
bool late_copies = false;

inline void yield() {
#ifdef EMU_ASAN
    __sanitizer_start_switch_fiber(&current->fake_stack, scheduler_stack, scheduler_stack_size);
#endif
#ifdef EMU_FAST_SWITCH
    emu_switch(&current->sp, scheduler_sp);
#else
    swapcontext(&current->ctx, &scheduler);
#endif
#ifdef EMU_ASAN
    __sanitizer_finish_switch_fiber(current->fake_stack, nullptr, nullptr);
#endif
}
inline void wait(Barrier &b) {
    const unsigned g = b.generation;
    if (++b.count == b.n) {
        b.count = 0;
        ++b.generation;
        return;
    }
    current->waits_at = &b;
    current->waits_for = g;
    while (b.generation == g) yield();
    current->waits_at = nullptr;
}

inline Warp &warp() { return block->warps[current->tid / 32]; }
inline int lane() { return int(current->tid % 32); }
inline int slot() { return int(current->warp_ops++ & 1); }

inline void copy_async(void *dst, const void *src, size_t bytes) {
    if (reinterpret_cast<uintptr_t>(dst) % bytes || reinterpret_cast<uintptr_t>(src) % bytes) {
        std::fprintf(stderr, "cp.async: misaligned\n");
        std::abort();
    }
    if (late_copies) current->open.push_back({dst, src, bytes});
    else std::memcpy(dst, src, bytes);
}
inline void wait_groups(size_t keep) {
    auto &groups = current->groups;
    while (groups.size() > keep) {
        for (const Copy &c : groups.front()) std::memcpy(c.dst, c.src, c.bytes);
        groups.pop_front();
    }
}

inline uint16_t bf16_round(float x) {  // round to nearest even, as cvt.rn.bf16.f32
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0x7f800000u) return uint16_t((u >> 16) | ((u & 0xffffu) ? 0x40u : 0u));
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}
inline double bf16_value(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void fiber_main() {
#ifdef EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &scheduler_stack, &scheduler_stack_size);
#endif
    (*block->body)(block->sm);
    wait_groups(0);
    if (!current->open.empty()) {
        std::fprintf(stderr, "cp.async: copies never committed\n");
        std::abort();
    }
    current->done = true;
#ifdef EMU_ASAN
    __sanitizer_start_switch_fiber(nullptr, scheduler_stack, scheduler_stack_size);
#endif
#ifdef EMU_FAST_SWITCH
    void *dead;
    emu_switch(&dead, scheduler_sp);  // never resumed
    std::abort();
#endif
}  // ucontext: returns to uc_link, the scheduler

}  // namespace emu

// The CUDA built-ins the kernels use.
EmuDim3 threadIdx;  // set by the scheduler for the fiber it resumes

// Runs `body` as one block of `threads` threads over `smem_bytes` of NaN-filled shared memory.
void emu_run_block(int threads, size_t smem_bytes, const std::function<void(unsigned char *)> &body) {
    using namespace emu;
    std::vector<unsigned char> smem(smem_bytes + 16, 0xff);
    Block b;
    b.sm = reinterpret_cast<unsigned char *>((reinterpret_cast<uintptr_t>(smem.data()) + 15) & ~uintptr_t(15));
    b.body = &body;
    b.bar.n = threads;
    b.warps = std::vector<Warp>(size_t(threads / 32));
    for (Warp &w : b.warps) w.bar.n = 32;
    b.fibers = std::vector<Fiber>(size_t(threads));
    while (stacks.size() < size_t(threads)) stacks.emplace_back(new char[kStack]);
    for (int i = 0; i < threads; ++i) {
        Fiber &f = b.fibers[size_t(i)];
        f.tid = unsigned(i);
        f.stack = stacks[size_t(i)].get();
#ifdef EMU_ASAN
        __asan_unpoison_memory_region(f.stack, kStack);  // frames of the stack's previous fiber
#endif
#ifdef EMU_FAST_SWITCH
        // The first switch pops zeroed registers and the control words, then "returns" into
        // fiber_main with the stack aligned as after a call.
        uintptr_t top = (reinterpret_cast<uintptr_t>(f.stack) + kStack) & ~uintptr_t(15);
        void **sp = reinterpret_cast<void **>(top);
        *--sp = nullptr;                                       // fiber_main's return address (never used)
        *--sp = reinterpret_cast<void *>(&fiber_main);         // popped by ret
        for (int r = 0; r < 6; ++r) *--sp = nullptr;           // rbp rbx r12 r13 r14 r15
        *--sp = reinterpret_cast<void *>(uintptr_t(0x037f) << 32 | 0x1f80);  // mxcsr, x87 control word
        f.sp = sp;
#else
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = &scheduler;
        makecontext(&f.ctx, fiber_main, 0);
#endif
    }
    block = &b;
    for (int live = threads; live > 0;)
        for (Fiber &f : b.fibers) {
            if (f.done || (f.waits_at && f.waits_at->generation == f.waits_for)) continue;
            current = &f;
            threadIdx.x = f.tid;
#ifdef EMU_ASAN
            void *fake = nullptr;
            __sanitizer_start_switch_fiber(&fake, f.stack, kStack);
#endif
#ifdef EMU_FAST_SWITCH
            emu_switch(&scheduler_sp, f.sp);
#else
            swapcontext(&scheduler, &f.ctx);
#endif
#ifdef EMU_ASAN
            __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
            if (f.done) --live;
        }
    block = nullptr;
    current = nullptr;
}

inline void __syncthreads() { emu::wait(emu::block->bar); }
inline void __syncwarp() { emu::wait(emu::warp().bar); }
inline float __shfl_up_sync(unsigned, float v, int off) {
    emu::Warp &w = emu::warp();
    const int l = emu::lane(), s = emu::slot();
    w.f[s][l] = v;
    emu::wait(w.bar);
    return l >= off ? w.f[s][l - off] : v;
}
inline float __shfl_sync(unsigned, float v, int src) {
    emu::Warp &w = emu::warp();
    const int s = emu::slot();
    w.f[s][emu::lane()] = v;
    emu::wait(w.bar);
    return w.f[s][src];
}
inline float __ldg(const float *p) { return *p; }
inline float4 __ldg(const float4 *p) {
    if (reinterpret_cast<uintptr_t>(p) % 16) {
        std::fprintf(stderr, "float4 load: misaligned\n");
        std::abort();
    }
    return *p;
}
inline float __uint_as_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __expf(float x) { return std::exp(x); }

// The PTX wrappers of mma_bf16.cuh.
inline uint16_t bf16_bits(float x) { return emu::bf16_round(x); }
inline uint32_t pack_bf16(float lo, float hi) { return uint32_t(emu::bf16_round(lo)) | uint32_t(emu::bf16_round(hi)) << 16; }

inline void mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    emu::Warp &w = emu::warp();
    const int l = emu::lane(), s = emu::slot();
    for (int i = 0; i < 4; ++i) w.a[s][l][i] = a[i], w.c[s][l][i] = d[i];
    w.b[s][l][0] = b[0], w.b[s][l][1] = b[1];
    emu::wait(w.bar);
    // This lane's four outputs: rows g, g+8 and columns 2t, 2t+1 of D = A B + C; A's row r is held by
    // lanes 4 (r % 8) .. +3 (registers a0/a2 for r < 8, a1/a3 for r >= 8); B's column n by lanes 4n .. +3.
    const int g = l >> 2, t = l & 3;
    auto lo = [](uint32_t x) { return emu::bf16_value(uint16_t(x & 0xffffu)); };
    auto hi = [](uint32_t x) { return emu::bf16_value(uint16_t(x >> 16)); };
    for (int e = 0; e < 4; ++e) {
        const int r = g + 8 * (e >> 1), n = 2 * t + (e & 1);
        double acc = w.c[s][l][e];
        for (int k = 0; k < 16; ++k) {
            const int al = 4 * (r % 8) + (k % 8) / 2, ar = (r >= 8 ? 1 : 0) + (k >= 8 ? 2 : 0);
            const int bl = 4 * n + (k % 8) / 2, br = k >= 8 ? 1 : 0;
            const double av = k % 2 ? hi(w.a[s][al][ar]) : lo(w.a[s][al][ar]);
            const double bv = k % 2 ? hi(w.b[s][bl][br]) : lo(w.b[s][bl][br]);
            acc += av * bv;
        }
        d[e] = float(acc);
    }
}

// ldmatrix: lane l gives the address of row l % 8 of matrix l / 8 (16-byte aligned rows of 8 bf16);
// returns the slot holding the 32 addresses.
inline int ldsm_collect(const uint16_t *p, int lanes) {
    emu::Warp &w = emu::warp();
    const int l = emu::lane(), s = emu::slot();
    if (l < lanes && reinterpret_cast<uintptr_t>(p) % 16) {
        std::fprintf(stderr, "ldmatrix: misaligned row\n");
        std::abort();
    }
    w.p[s][l] = p;
    emu::wait(w.bar);
    return s;
}
inline void ldsm_x4(uint32_t (&r)[4], const uint16_t *p) {
    const int s = ldsm_collect(p, 32);
    const uint16_t *const *rows = emu::warp().p[s];
    const int g = emu::lane() / 4, t = emu::lane() % 4;
    for (int i = 0; i < 4; ++i) r[i] = uint32_t(rows[8 * i + g][2 * t]) | uint32_t(rows[8 * i + g][2 * t + 1]) << 16;
}
inline void ldsm_x4_trans(uint32_t (&r)[4], const uint16_t *p) {
    const int s = ldsm_collect(p, 32);
    const uint16_t *const *rows = emu::warp().p[s];
    const int g = emu::lane() / 4, t = emu::lane() % 4;
    for (int i = 0; i < 4; ++i) r[i] = uint32_t(rows[8 * i + 2 * t][g]) | uint32_t(rows[8 * i + 2 * t + 1][g]) << 16;
}
inline void ldsm_x2_trans(uint32_t (&r)[2], const uint16_t *p) {
    const int s = ldsm_collect(p, 16);
    const uint16_t *const *rows = emu::warp().p[s];
    const int g = emu::lane() / 4, t = emu::lane() % 4;
    for (int i = 0; i < 2; ++i) r[i] = uint32_t(rows[8 * i + 2 * t][g]) | uint32_t(rows[8 * i + 2 * t + 1][g]) << 16;
}
inline void cp_async16(void *dst, const void *src) { emu::copy_async(dst, src, 16); }
inline void cp_async4(void *dst, const void *src) { emu::copy_async(dst, src, 4); }
inline void cp_async_commit() {
    emu::current->groups.push_back(std::move(emu::current->open));
    emu::current->open.clear();
}
inline void cp_async_wait_all() { emu::wait_groups(0); }
template <int N>
inline void cp_async_wait() {
    emu::wait_groups(N);
}

#include "backends/cuda/delta_rule_tc_split.cu"

// ---------------------------------------------------------------- the test
namespace {

using dn::DeltaArgs;

// The launcher's work, block by block: prep over (chunk, head), then the walk over (tile, head).
template <int KMAX, int SPB, int KS, int NSTAGE>
void run_split(const DeltaArgs &a, bool vec) {
    using namespace dn::cuda;
    const auto S = split_scratch(a.T, a.Hv, a.dk, a.dv);
    std::vector<uint16_t> scratch(S.bytes / 2 + 8, 0xffff);  // NaN
    uint16_t *scr = reinterpret_cast<uint16_t *>((reinterpret_cast<uintptr_t>(scratch.data()) + 15) & ~uintptr_t(15));
    for (int h = 0; h < a.Hv; ++h)
        for (int64_t c = 0; c < S.nch; ++c)
            emu_run_block(kPrepThreads, prep_layout(KMAX).bytes,
                          [&](unsigned char *sm) { prep_block<KMAX>(a, sm, c, h, scr, vec); });
    for (int h = 0; h < a.Hv; ++h)
        for (int tile = 0; tile * 16 * SPB < a.dv; ++tile)
            emu_run_block(32 * SPB * KS, walk_layout(KMAX, SPB, KS, NSTAGE).bytes,
                          [&](unsigned char *sm) { walk_block<KMAX, SPB, KS, NSTAGE>(a, sm, tile, h, scr); });
}

// The launcher's walk variants (kWalkConfigs), and one of a single warp per block.
template <int KMAX>
void run_split_variant(const DeltaArgs &a, bool vec, dn::cuda::WalkConfig w) {
    if (w.ks == 1 && w.spb == 1) run_split<KMAX, 1, 1, 2>(a, vec);
    else if (w.ks == 1 && w.nstage == 3 && dn::cuda::kd_staged(KMAX)) run_split<KMAX, 4, 1, 3>(a, vec);
    else if (w.ks == 1) run_split<KMAX, 4, 1, 2>(a, vec);
    else if (w.ks == 2) run_split<KMAX, 2, 2, 2>(a, vec);
    else if (w.spb == 1) run_split<KMAX, 1, 4, 2>(a, vec);
    else run_split<KMAX, 2, 4, 2>(a, vec);
}

// S_t = exp(g_t) S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T, o_t = S_t q_t, in float64.
void reference(const DeltaArgs &a, std::vector<double> &S, std::vector<double> &O) {
    const int dk = a.dk, dv = a.dv;
    for (int h = 0; h < a.Hv; ++h) {
        const int kh = h / (a.Hv / a.Hk);
        double *s = &S[size_t(h) * dv * dk];
        for (int64_t t = 0; t < a.T; ++t) {
            const float *q = a.q + t * a.q_stride + kh * dk, *k = a.k + t * a.k_stride + kh * dk;
            const float *v = a.v + t * a.v_stride + h * dv;
            const double b = a.beta[t * a.beta_stride + h];
            const double e = a.g ? std::exp(double(a.g[t * a.g_stride + h])) : 1.0;
            for (int r = 0; r < dv; ++r) {
                double *sr = s + size_t(r) * dk, sk = 0.0, o = 0.0;
                for (int c = 0; c < dk; ++c) sr[c] *= e, sk += sr[c] * k[c];
                const double u = b * (v[r] - sk);
                for (int c = 0; c < dk; ++c) sr[c] += u * k[c], o += sr[c] * q[c];
                O[(size_t(t) * a.Hv + h) * dv + r] = o;
            }
        }
    }
}

struct Case {
    int64_t T;
    int Hk, Hv, dk, dv;
    bool gated;
    dn::cuda::WalkConfig walk;  // slabs per block, warps per slab, stages
    int pad;    // floats past each row of q, k, v, o (1: no float4 loads) and past beta, g rows
    bool late;  // cp.async copies land at the wait rather than at the issue
};

std::string case_name(const testing::TestParamInfo<Case> &info) {
    const Case &c = info.param;
    char name[160];
    std::snprintf(name, sizeof name, "T%lld_Hk%d_Hv%d_dk%d_dv%d_%s_walk%dx%d_s%d%s%s", static_cast<long long>(c.T), c.Hk,
                  c.Hv, c.dk, c.dv, c.gated ? "gated" : "plain", c.walk.spb, c.walk.ks, c.walk.nstage,
                  c.pad ? "_strided" : "", c.late ? "_late" : "");
    return name;
}

std::vector<Case> cases() {
    std::vector<dn::cuda::WalkConfig> walks(std::begin(dn::cuda::kWalkConfigs), std::end(dn::cuda::kWalkConfigs));
    walks.push_back({1, 1, 2});
    std::vector<Case> out;
    int i = 0;
    for (int64_t T : {1, 63, 65, 200})
        for (auto [Hk, Hv] : {std::pair{2, 2}, std::pair{1, 2}})
            for (auto [dk, dv] : {std::pair{32, 48}, std::pair{128, 128}, std::pair{256, 64}})
                for (bool gated : {false, true}) {
                    dn::cuda::WalkConfig w = walks[size_t(i + i / 6) % walks.size()];  // every config meets every shape
                    if (w.nstage == 3 && dk > 128) w.nstage = 2;
                    out.push_back({T, Hk, Hv, dk, dv, gated, w, i % 4 == 3 ? 1 : 0, i % 2 == 1});
                    ++i;
                }
    // Gated DeltaNet 1.3B's head shape, and the widest value head.
    out.push_back({70, 1, 1, 256, 512, true, {2, 2, 2}, 0, true});
    out.push_back({65, 1, 1, 64, 1024, false, {1, 4, 2}, 1, false});
    return out;
}

void PrintTo(const Case &c, std::ostream *os) { *os << case_name({c, 0}); }

class SplitEmulated : public testing::TestWithParam<Case> {};

TEST_P(SplitEmulated, MatchesRecurrentReference) {
    const Case &cs = GetParam();
    const int64_t T = cs.T;
    const int Hk = cs.Hk, Hv = cs.Hv, dk = cs.dk, dv = cs.dv;
    std::mt19937 rng(unsigned(T * 7919 + Hk * 131 + Hv * 17 + dk * 3 + dv + (cs.gated ? 1 : 0)));
    std::normal_distribution<float> nd;
    std::uniform_real_distribution<float> ud(0.0f, 1.0f);
    const int64_t qs = int64_t(Hk) * dk + cs.pad, vs = int64_t(Hv) * dv + cs.pad, bs = Hv + cs.pad;
    std::vector<float> q(size_t(T * qs)), k(size_t(T * qs)), v(size_t(T * vs)), beta(size_t(T * bs)),
        g(size_t(T * bs)), o(size_t(T * vs), 12345.0f);
    for (int64_t t = 0; t < T; ++t)
        for (int h = 0; h < Hk; ++h) {  // L2-normalised rows; q scaled by 1/sqrt(dk) as the caller does
            float *kr = &k[size_t(t * qs + h * dk)], *qr = &q[size_t(t * qs + h * dk)];
            double nk = 0.0, nq = 0.0;
            for (int c = 0; c < dk; ++c) kr[c] = nd(rng), qr[c] = nd(rng), nk += kr[c] * kr[c], nq += qr[c] * qr[c];
            for (int c = 0; c < dk; ++c) kr[c] = float(kr[c] / std::sqrt(nk)), qr[c] = float(qr[c] / std::sqrt(nq));
        }
    for (float &x : v) x = nd(rng);
    for (float &x : beta) x = ud(rng);
    for (float &x : g) x = -0.5f * ud(rng);
    std::vector<float> state(size_t(Hv) * dv * dk);
    for (float &x : state) x = 0.3f * nd(rng);

    DeltaArgs a;
    a.T = T, a.Hk = Hk, a.Hv = Hv, a.dk = dk, a.dv = dv;
    a.q = q.data(), a.q_stride = qs, a.k = k.data(), a.k_stride = qs, a.v = v.data(), a.v_stride = vs;
    a.beta = beta.data(), a.beta_stride = bs, a.g = cs.gated ? g.data() : nullptr, a.g_stride = bs;
    a.state = state.data(), a.o = o.data(), a.o_stride = vs;
    a.bf16_products = true;

    std::vector<double> S(state.begin(), state.end()), O(size_t(T) * Hv * dv);
    reference(a, S, O);
    const bool vec = cs.pad % 4 == 0 && reinterpret_cast<uintptr_t>(q.data()) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(k.data()) % 16 == 0 && reinterpret_cast<uintptr_t>(v.data()) % 16 == 0;
    emu::late_copies = cs.late;
    const int kmax = dk <= 64 ? 64 : dk <= 128 ? 128 : 256;
    if (kmax == 64) run_split_variant<64>(a, vec, cs.walk);
    else if (kmax == 128) run_split_variant<128>(a, vec, cs.walk);
    else run_split_variant<256>(a, vec, cs.walk);

    double eo = 0.0, no = 0.0, es = 0.0, ns = 0.0;
    int untouched = 0;
    for (int64_t t = 0; t < T; ++t) {
        for (int j = 0; j < Hv * dv; ++j) {
            const double x = o[size_t(t * vs + j)], r = O[size_t(t) * Hv * dv + j];
            eo += std::isfinite(x) ? (x - r) * (x - r) : 1e30;
            no += r * r;
        }
        for (int64_t j = int64_t(Hv) * dv; j < vs; ++j) untouched += o[size_t(t * vs + j)] == 12345.0f;
    }
    for (size_t i = 0; i < state.size(); ++i) {
        es += std::isfinite(state[i]) ? (state[i] - S[i]) * (state[i] - S[i]) : 1e30;
        ns += S[i] * S[i];
    }
    const double ro = std::sqrt(eo / no), rs = std::sqrt(es / ns);
    std::printf("%s: relative L2 error o %.2e, state %.2e\n", case_name({cs, 0}).c_str(), ro, rs);
    EXPECT_LT(ro, 2e-2);
    EXPECT_LT(rs, 2e-2);
    EXPECT_EQ(untouched, T * cs.pad) << "o was written past its rows";
}

INSTANTIATE_TEST_SUITE_P(DeltaRuleTcSplit, SplitEmulated, testing::ValuesIn(cases()), case_name);

}  // namespace
