// Record framing: round trips, what counts as incomplete versus corrupt, and segment names.
#include "storage/wal_format.h"

#include <gtest/gtest.h>

#include "storage_test_util.h"

namespace paxoskv::storage::wal {
namespace {

using testing::ballot;

TEST(WalFormat, EveryRecordTypeRoundTrips) {
  std::string buf;
  encode_append(buf, paxos::LogIndex(7), "hello");
  encode_append(buf, paxos::LogIndex(8), "");
  encode_truncate(buf, paxos::LogIndex(3));
  encode_ballot(buf, RecordType::kPromise, ballot(5, 9, 11, 2));
  encode_ballot(buf, RecordType::kAcceptedRound, ballot(4, 8, 10, 3));
  encode_decided(buf, paxos::LogIndex(2));
  encode_commit(buf, 42);

  std::size_t off = 0;
  auto next = [&] {
    DecodeResult d = decode_record(buf, off);
    EXPECT_EQ(d.status, DecodeStatus::kOk) << d.reason;
    off += d.record.size_bytes;
    return d.record;
  };
  Record r = next();
  EXPECT_EQ(parse_append(r).index, paxos::LogIndex(7));
  EXPECT_EQ(parse_append(r).entry, "hello");
  EXPECT_EQ(parse_append(next()).entry, "");
  EXPECT_EQ(parse_u64(next()), 3u);
  r = next();
  EXPECT_EQ(r.type, RecordType::kPromise);
  EXPECT_EQ(parse_ballot(r).config_id, paxos::ConfigId(2));
  EXPECT_EQ(parse_ballot(r).priority, 11u);
  EXPECT_EQ(parse_ballot(next()), ballot(4, 8, 10, 3));
  EXPECT_EQ(parse_u64(next()), 2u);
  r = next();
  EXPECT_EQ(r.type, RecordType::kCommit);
  EXPECT_EQ(parse_u64(r), 42u);
  EXPECT_EQ(off, buf.size());
  EXPECT_EQ(trailing_commit_batch(buf), std::optional<std::uint64_t>(42));
  EXPECT_EQ(r.size_bytes, kCommitRecordBytes);
}

TEST(WalFormat, CutRecordIsIncompleteAndDamagedRecordIsCorrupt) {
  std::string buf;
  encode_append(buf, paxos::LogIndex(0), "payload");
  for (std::size_t len = 0; len < buf.size(); ++len) {
    EXPECT_EQ(decode_record(std::string_view(buf).substr(0, len), 0).status,
              DecodeStatus::kIncomplete)
        << len;
  }
  for (std::size_t byte = 4; byte < buf.size(); ++byte) {  // crc, type, payload
    std::string bad = buf;
    bad[byte] = static_cast<char>(bad[byte] ^ 0x10);
    EXPECT_EQ(decode_record(bad, 0).status, DecodeStatus::kCorrupt) << byte;
  }
  std::string huge = buf;
  huge[3] = '\x7f';  // length far beyond kPayloadBytesMax
  EXPECT_EQ(decode_record(huge, 0).status, DecodeStatus::kCorrupt);
}

TEST(WalFormat, ZeroBytesNeverDecode) {
  const std::string zeros(64, '\0');
  EXPECT_NE(decode_record(zeros, 0).status, DecodeStatus::kOk);
  EXPECT_FALSE(scan_for_commits(zeros, 0).max_batch.has_value());
}

TEST(WalFormat, ScanFindsTheHighestCommitPastGarbage) {
  std::string buf = "garbage!";
  encode_commit(buf, 5);
  buf += "xx";
  encode_commit(buf, 9);
  encode_append(buf, paxos::LogIndex(1), "tail");
  const CommitScan scan = scan_for_commits(buf, 0);
  ASSERT_TRUE(scan.max_batch.has_value());
  EXPECT_EQ(*scan.max_batch, 9u);
  EXPECT_EQ(scan.end_offset, 8 + kCommitRecordBytes + 2 + kCommitRecordBytes);
}

TEST(WalFormat, SegmentNamesSortLikeNumbers) {
  EXPECT_EQ(segment_file_name(42), "00000000000000000042.wal");
  EXPECT_EQ(parse_segment_file_name("00000000000000000042.wal"), std::optional<std::uint64_t>(42));
  EXPECT_LT(segment_file_name(9), segment_file_name(10));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.wal"));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000004.wal"));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000042.wal.tmp"));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000004x.wal"));
  EXPECT_FALSE(parse_segment_file_name("LOCK"));
}

}  // namespace
}  // namespace paxoskv::storage::wal
