// LoopbackTestServer (tests only): a tiny HTTP/1.1 server on 127.0.0.1 or ::1, one connection at
// a time on its own thread, so client tests need no other server. The handler gets the raw
// request (head and body) and returns the raw response bytes, or nullopt to hold the
// connection open without answering (a server that never answers).
// Thread-safety: accessors are synchronized; the handler runs on the server thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dai::http::testing {

class LoopbackTestServer {
 public:
  using Handler = std::function<std::optional<std::string>(const std::string& request)>;

  explicit LoopbackTestServer(Handler handler, bool ipv6 = false) : handler_(std::move(handler)) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ipv6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin6_port);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      socklen_t len = sizeof a;
      getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
    ok_ = ok_ && listen(fd_, 64) == 0;
    thread_ = std::thread([this] { Run(); });
  }
  ~LoopbackTestServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  LoopbackTestServer(const LoopbackTestServer&) = delete;
  LoopbackTestServer& operator=(const LoopbackTestServer&) = delete;

  bool ok() const { return ok_; }
  uint16_t port() const { return port_; }
  //! Connections accepted so far.
  int connections() const { return connections_.load(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  //! "HTTP/1.1 <status> X\r\nContent-Length: n\r\n<extra>\r\n<body>" with Connection: close.
  static std::string Response(int status, const std::string& body,
                              const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
           extra_headers + "\r\n" + body;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      std::string request = ReadRequest(c);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      std::optional<std::string> response = handler_(request);
      if (!response) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      } else {
        size_t off = 0;
        while (off < response->size()) {
          ssize_t n = send(c, response->data() + off, response->size() - off, MSG_NOSIGNAL);
          if (n <= 0) break;
          off += static_cast<size_t>(n);
        }
      }
      shutdown(c, SHUT_RDWR);
      close(c);
    }
  }

  std::string ReadRequest(int c) {
    std::string data;
    char buf[4096];
    size_t need = std::string::npos;
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) break;
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      size_t head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      if (need == std::string::npos) {
        size_t length = 0;
        std::string head = data.substr(0, head_end);
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (size_t cl = head.find("content-length:"); cl != std::string::npos) {
          length = std::stoul(head.substr(cl + 15));
        }
        need = head_end + 4 + length;
      }
      if (data.size() >= need) break;
    }
    return data;
  }

  Handler handler_;
  int fd_ = -1;
  bool ok_ = false;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace dai::http::testing
