// Expected failures of opening a data directory, as values (docs/style.md, second tier).
//
// Under C++20 libstdc++ has no std::expected, hence the small Result below.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "paxos/assert.h"

namespace paxoskv::storage {

struct StorageError {
  enum class Kind {
    kInUse,     // another process (or another DiskStorage in this one) holds the directory lock
    kCorrupt,   // the WAL is damaged where a crash cannot have damaged it; --repair truncates there
    kIo,        // the directory cannot be created, read or written (permissions, EIO, ...)
    kNotFound,  // a snapshot that is not held (pruned, or never written)
    kRejected,  // bad input from a peer: a snapshot chunk out of order, too large, or corrupt
  };
  Kind kind;
  std::string message;  // complete and meant for the operator: names the file and offset
};

// nullopt means success.
using Status = std::optional<StorageError>;

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}             // NOLINT(google-explicit-constructor)
  Result(StorageError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() {
    PAXOS_ASSERT(ok(), "value() of a failed Result");
    return std::get<0>(v_);
  }
  const T& value() const {
    PAXOS_ASSERT(ok(), "value() of a failed Result");
    return std::get<0>(v_);
  }
  const StorageError& error() const {
    PAXOS_ASSERT(!ok(), "error() of a successful Result");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, StorageError> v_;
};

}  // namespace paxoskv::storage
