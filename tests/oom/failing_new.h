// Allocation-failure injection for the tests: this executable replaces the global operator new (every
// form; the library's allocations, its host buffers included, all go through it), and while armed
// the Nth allocation made on the arming thread fails: std::bad_alloc, or nullptr for the nothrow forms.
// Only that one fails; later ones succeed, like a transient shortage.
#pragma once

namespace dntest {

// Fail the `nth` allocation (1-based) of this thread from now on.
void fail_allocation(long nth);
// Stop; returns true when the armed allocation was reached (and failed).
bool stop_failing();

}  // namespace dntest
