// A tiny blocking HTTP/1.1 client over POSIX sockets for the server's tests: raw bytes out,
// responses parsed just enough to assert on (status, headers, Content-Length body). Every read
// has a deadline so a broken server fails a test instead of hanging it.
// Thread-safety: one TestConnection per thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dai::server::testing {

struct TestResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < key.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(key[i])) !=
            std::tolower(static_cast<unsigned char>(name[i]))) {
          same = false;
          break;
        }
      }
      if (same) return value;
    }
    return std::nullopt;
  }
};

class TestConnection {
 public:
  explicit TestConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~TestConnection() { Close(); }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  //! Reads more bytes into the buffer; false on EOF, error or deadline.
  bool ReadMore(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0) return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    pollfd p{fd_, POLLIN, 0};
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    int ready = ::poll(&p, 1, wait_ms);
    if (ready <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  //! Reads one response. `head`: the request was HEAD (no body follows the headers).
  std::optional<TestResponse> ReadResponse(
      bool head = false, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(deadline)) return std::nullopt;
    }
    TestResponse response;
    std::string_view head_text(buffer_.data(), end);
    std::size_t line_end = head_text.find("\r\n");
    std::string_view status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return std::nullopt;
    response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head_text.substr(line_end + 2);
    while (!rest.empty()) {
      std::size_t eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    buffer_.erase(0, end + 4);
    std::size_t length = 0;
    if (auto cl = response.Header("Content-Length")) length = std::stoul(*cl);
    if (head || response.status == 304 || response.status == 204 || response.status < 200) {
      length = 0;
    }
    while (buffer_.size() < length) {
      if (!ReadMore(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  //! Reads until `needle` has arrived (searching from `from` in everything read so far).
  //! Returns the buffered text, or nullopt at the deadline / EOF.
  std::optional<std::string> ReadUntil(std::string_view needle, std::chrono::milliseconds timeout,
                                       std::size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.find(needle, from) == std::string::npos) {
      if (!ReadMore(deadline)) return std::nullopt;
    }
    return buffer_;
  }

  //! True when the peer closed (EOF or reset) before the deadline; buffered bytes are kept.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!ReadMore(deadline) && !eof_) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (fd_ < 0) return true;
      }
    }
    return true;
  }

  const std::string& buffer() const { return buffer_; }

 private:
  int fd_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

//! One request on a fresh connection.
inline std::optional<TestResponse> Fetch(uint16_t port, std::string_view method,
                                         std::string_view target,
                                         std::string_view extra_headers = "",
                                         std::string_view body = "") {
  TestConnection connection(port);
  if (!connection.connected()) return std::nullopt;
  std::string request = std::string(method) + " " + std::string(target) +
                        " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" +
                        std::string(extra_headers);
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  if (!connection.Send(request)) return std::nullopt;
  return connection.ReadResponse(method == "HEAD");
}

}  // namespace dai::server::testing
