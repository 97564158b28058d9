#include "failing_new.h"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

thread_local long countdown = 0;  // > 0: armed; the allocation that takes it to 0 fails

bool fail_now() { return countdown > 0 && --countdown == 0; }

void *allocate(std::size_t size, std::size_t alignment) {
    if (size == 0) size = 1;
    if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void *throwing(std::size_t size, std::size_t alignment) {
    if (fail_now()) throw std::bad_alloc();
    void *p = allocate(size, alignment);
    if (!p) throw std::bad_alloc();
    return p;
}

void *nothrow(std::size_t size, std::size_t alignment) noexcept { return fail_now() ? nullptr : allocate(size, alignment); }

}  // namespace

namespace dntest {

void fail_allocation(long nth) { countdown = nth; }

bool stop_failing() {
    const bool reached = countdown == 0;
    countdown = 0;
    return reached;
}

}  // namespace dntest

// Every replaceable form ([new.delete]); each allocates with malloc / aligned_alloc and frees with
// free, so that LeakSanitizer still tracks them.
void *operator new(std::size_t n) { return throwing(n, 0); }
void *operator new[](std::size_t n) { return throwing(n, 0); }
void *operator new(std::size_t n, std::align_val_t a) { return throwing(n, std::size_t(a)); }
void *operator new[](std::size_t n, std::align_val_t a) { return throwing(n, std::size_t(a)); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return nothrow(n, 0); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return nothrow(n, 0); }
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept { return nothrow(n, std::size_t(a)); }
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept { return nothrow(n, std::size_t(a)); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
