// protocol.cc: status names and etcd's prefix-range end.
#include "common/protocol.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace paxoskv {
namespace {

using namespace std::string_literals;

TEST(PrefixEnd, IncrementsTheLastByte) {
  EXPECT_EQ(prefix_end("a"), "b");
  EXPECT_EQ(prefix_end("foo/"), "foo0");
  EXPECT_EQ(prefix_end("ab\x01"s), "ab\x02"s);
  EXPECT_EQ(prefix_end("\xfe"s), "\xff"s);
}

TEST(PrefixEnd, DropsTrailingFfBytes) {
  EXPECT_EQ(prefix_end("a\xff"s), "b");
  EXPECT_EQ(prefix_end("ab\xff\xff"s), "ac");
  EXPECT_EQ(prefix_end("\x00\xff"s), "\x01"s);
}

TEST(PrefixEnd, NoFiniteBoundMeansAllKeys) {
  EXPECT_EQ(prefix_end(""), "\0"s);
  EXPECT_EQ(prefix_end("\xff"s), "\0"s);
  EXPECT_EQ(prefix_end("\xff\xff\xff"s), "\0"s);
}

TEST(PrefixEnd, ZeroBytesAreOrdinary) {
  EXPECT_EQ(prefix_end("\0"s), "\x01"s);
  EXPECT_EQ(prefix_end("a\0"s), "a\x01"s);
}

// Byte-wise (unsigned) order, as std::string compares: every key with the prefix is below the
// end, and the end itself does not have the prefix.
RC_GTEST_PROP(PrefixEndProperty, BoundsEveryKeyWithThePrefix,
              (const std::string& prefix, const std::string& suffix)) {
  const std::string end = prefix_end(prefix);
  if (end == "\0"s) {
    RC_ASSERT(prefix.find_first_not_of('\xff') == std::string::npos);
    return;
  }
  RC_ASSERT(prefix + suffix < end);
  RC_ASSERT(prefix < end);
  RC_ASSERT(end.compare(0, prefix.size(), prefix) != 0);
}

TEST(StatusName, EveryStatusHasAName) {
  EXPECT_STREQ(status_name(Status::kOk), "OK");
  EXPECT_STREQ(status_name(Status::kNotLeader), "NOT_LEADER");
  EXPECT_STREQ(status_name(Status::kSessionExpired), "SESSION_EXPIRED");
  for (int s = 0; s <= static_cast<int>(Status::kInternal); ++s) {
    EXPECT_STRNE(status_name(static_cast<Status>(s)), "UNKNOWN") << s;
  }
  EXPECT_STREQ(status_name(static_cast<Status>(200)), "UNKNOWN");
}

}  // namespace
}  // namespace paxoskv
