#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace dn::cli {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::update(uint64_t done, uint64_t total) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const double fraction = total > 0 ? std::min(1.0, double(done) / double(total)) : 0.0;
    const int permille = int(fraction * 1000.0);
    // Redraw only when the line would change, and at most every 50 ms (but always at 100%).
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && (permille == last_permille_ || (permille < 1000 && now - last_draw_ < std::chrono::milliseconds(50))))
        return;
    last_permille_ = permille;
    last_draw_ = now;

    constexpr int kBarWidth = 30;
    const int filled = int(fraction * kBarWidth);
    char line[160];
    const int n = std::snprintf(line, sizeof line, "%s [%.*s%.*s] %5.1f%%  %.1f / %.1f MB", label_.c_str(),
                                filled, "##############################", kBarWidth - filled,
                                "..............................", fraction * 100.0, double(done) / 1e6,
                                double(total) / 1e6);
    const size_t width = n > 0 ? std::min(size_t(n), sizeof line - 1) : 0;
    // Pad with spaces so a shorter line fully covers the previous one.
    std::fprintf(stderr, "\r%s%*s", line, int(last_width_ > width ? last_width_ - width : 0), "");
    std::fflush(stderr);
    last_width_ = std::max(last_width_, width);
    drawn_ = true;
}

void ProgressBar::clear() {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!drawn_) return;
    std::fprintf(stderr, "\r%*s\r", int(last_width_), "");
    std::fflush(stderr);
    drawn_ = false;
    last_permille_ = -1;
}

int ProgressBar::callback(uint64_t done, uint64_t total, void *user_data) {
    static_cast<ProgressBar *>(user_data)->update(done, total);
    return 0;
}

}  // namespace dn::cli
