// Version queries, status strings and the thread-local last-error message.
#include <set>
#include <string>
#include <thread>

#include "support/dn_test.h"

namespace {

using namespace dntest;

TEST(Version, MatchesTheHeader) {
    int32_t major = -1, minor = -1, patch = -1;
    ASSERT_EQ(dn_version(&major, &minor, &patch), DN_OK);
    EXPECT_EQ(major, DN_VERSION_MAJOR);
    EXPECT_EQ(minor, DN_VERSION_MINOR);
    EXPECT_EQ(patch, DN_VERSION_PATCH);
    ASSERT_NE(dn_version_string(), nullptr);
    EXPECT_STREQ(dn_version_string(), DN_VERSION_STRING);
    EXPECT_EQ(std::string(dn_version_string()),
              std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
}

TEST(Version, AcceptsNullOutputs) {
    int32_t minor = -1;
    EXPECT_EQ(dn_version(nullptr, nullptr, nullptr), DN_OK);
    EXPECT_EQ(dn_version(nullptr, &minor, nullptr), DN_OK);
    EXPECT_EQ(minor, DN_VERSION_MINOR);
}

TEST(StatusString, EveryCodeHasADistinctDescription) {
    std::set<std::string> seen;
    for (int code = DN_OK; code <= DN_ERR_INTERNAL; ++code) {
        const char *text = dn_status_string(static_cast<dn_status>(code));
        ASSERT_NE(text, nullptr) << "code " << code;
        EXPECT_STRNE(text, "") << "code " << code;
        EXPECT_STRNE(text, "unknown status") << "code " << code;
        EXPECT_TRUE(seen.insert(text).second) << "code " << code << " repeats \"" << text << "\"";
    }
    EXPECT_EQ(seen.size(), size_t(DN_ERR_INTERNAL) + 1);
}

TEST(StatusString, UnknownCodes) {
    for (int code : {-1, int(DN_ERR_INTERNAL) + 1, 1000, 0x7fffffff}) {
        const char *text = dn_status_string(static_cast<dn_status>(code));
        ASSERT_NE(text, nullptr);
        EXPECT_STREQ(text, "unknown status") << "code " << code;
    }
}

TEST(LastError, EmptyAfterSuccessAndPerThread) {
    ASSERT_EQ(dn_version(nullptr, nullptr, nullptr), DN_OK);
    EXPECT_STREQ(dn_last_error(), "") << "after a successful call";
    dn_stream *stream = nullptr;
    ASSERT_EQ(dn_stream_create("gpu:7", nullptr, &stream), DN_ERR_INVALID_ARGUMENT);
    const std::string message = dn_last_error();
    EXPECT_NE(message, "");

    // Another thread has its own message (none yet), and its errors do not touch ours.
    std::string other_before = "?", other_after;
    std::thread([&] {
        other_before = dn_last_error();
        dn_stream_options_init(nullptr);
        other_after = dn_last_error();
    }).join();
    EXPECT_EQ(other_before, "");
    EXPECT_NE(other_after, "");
    EXPECT_EQ(dn_last_error(), message);

    // A successful call clears it.
    ASSERT_EQ(dn_stream_create("cpu", nullptr, &stream), DN_OK);
    EXPECT_STREQ(dn_last_error(), "");
    EXPECT_EQ(dn_stream_destroy(stream), DN_OK);
}

}  // namespace
