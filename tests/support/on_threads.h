// Runs a test body on several threads at once, collecting failures instead of letting an exception
// escape a thread (which would end the whole test binary).
#pragma once

#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace dntest {

// Runs body(i) for i in [0, n) on n threads at once; returns each one's exception message ("" if none).
template <typename Body>
std::vector<std::string> on_threads(int n, Body body) {
    std::vector<std::string> errors{size_t(n), std::string()};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            try {
                body(i);
            } catch (const std::exception &e) {
                errors[size_t(i)] = e.what();
            }
        });
    for (std::thread &t : threads) t.join();
    return errors;
}

}  // namespace dntest
