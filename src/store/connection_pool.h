// ConnectionPool: a bounded pool of backend connections shared by the SQLite and PostgreSQL
// backends (internal to src/store). Acquire() hands out an idle connection or opens a new one
// while fewer than `max` exist, and otherwise waits for one to come back. A Lease returns its
// connection when destroyed, or drops it after Discard() (a broken connection).
// Thread-safety: safe for concurrent use.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/status.h"

namespace dai::store {

template <typename Conn>
class ConnectionPool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Conn>>()>;

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), conn_(std::move(other.conn_)), discard_(other.discard_) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->Release(std::move(conn_), discard_);
    }
    Conn* operator->() const { return conn_.get(); }
    Conn& operator*() const { return *conn_; }
    //! The connection is broken: drop it instead of returning it to the pool.
    void Discard() { discard_ = true; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Conn> conn_;
    bool discard_ = false;
  };

  ConnectionPool(int max, Factory factory) : max_(max), factory_(std::move(factory)) {}

  //! Adds an already-open connection (counts towards max).
  void Add(std::unique_ptr<Conn> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++total_;
    idle_.push_back(std::move(conn));
  }

  //! An idle or new connection; waits while all `max` are in use. The factory's error when a
  //! new connection cannot be opened.
  Result<Lease> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || total_ < max_; });
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++total_;
    lock.unlock();
    auto conn = factory_();
    if (!conn.ok()) {
      lock.lock();
      --total_;
      cv_.notify_one();
      return conn.status();
    }
    return Lease(this, std::move(conn).value());
  }

 private:
  void Release(std::unique_ptr<Conn> conn, bool discard) {
    std::lock_guard<std::mutex> lock(mu_);
    if (discard || conn == nullptr) {
      --total_;
    } else {
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  const int max_;
  Factory factory_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int total_ = 0;
};

}  // namespace dai::store
