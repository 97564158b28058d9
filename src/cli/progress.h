// A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and pipes stay
// clean). Plugs into dn_model_options.progress.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace dn::cli {

class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    ~ProgressBar();
    ProgressBar(const ProgressBar &) = delete;
    ProgressBar &operator=(const ProgressBar &) = delete;

    bool enabled() const { return enabled_; }
    void update(uint64_t done, uint64_t total);
    void clear();  // erase the line; the next update draws it again

    // dn_progress_fn: `user_data` is the ProgressBar. Never cancels.
    static int callback(uint64_t done, uint64_t total, void *user_data);

private:
    std::string label_;
    bool enabled_ = false;
    bool drawn_ = false;
    int last_permille_ = -1;
    size_t last_width_ = 0;
    std::chrono::steady_clock::time_point last_draw_;
    std::mutex mutex_;  // the library does not promise which thread reports progress
};

}  // namespace dn::cli
