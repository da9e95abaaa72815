#include "server/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "server/http_test_client.h"

namespace dai::server {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("dai-static-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "www";
    Write(root_ / "index.html", "<!doctype html><title>app</title>");
    Write(root_ / "assets/app.3f9a1c.js", "console.log(1)");
    Write(root_ / "assets/app.3f9a1c.js.gz", "GZIPPED");
    Write(root_ / "assets/style.81b2.css", "body{}");
    Write(root_ / "logo.svg", "<svg/>");
    Write(root_ / "favicon.ico", "ico");
    Write(root_ / "data.json", "{}");
    Write(root_ / "font.woff2", "w2");
    Write(root_ / "assets/app.3f9a1c.js.map", "{}");
    Write(root_ / "robots.txt", "User-agent: *");
    Write(root_ / "m.wasm", "wasm");
    Write(root_ / "m.mjs", "export {}");
    Write(root_ / "pic.png", "png");
    Write(root_ / ".env", "SECRET=1");
    Write(root_ / "docs/index.html", "<p>docs</p>");
    Write(base_ / "secret.txt", "outside");
    fs::create_symlink(base_ / "secret.txt", root_ / "escape.txt");
    fs::create_symlink(root_ / "robots.txt", root_ / "inside-link.txt");
    StaticFilesOptions options;
    options.root = root_;
    files_ = std::make_unique<StaticFiles>(options);
  }
  void TearDown() override { fs::remove_all(base_); }

  HttpResponse Get(std::string path,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.headers = std::move(headers);
    return files_->Serve(request);
  }

  fs::path base_;
  fs::path root_;
  std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ContentTypesByExtension) {
  struct Case {
    const char* path;
    const char* type;
  } cases[] = {
      {"/index.html", "text/html; charset=utf-8"},
      {"/assets/app.3f9a1c.js", "text/javascript; charset=utf-8"},
      {"/m.mjs", "text/javascript; charset=utf-8"},
      {"/assets/style.81b2.css", "text/css; charset=utf-8"},
      {"/logo.svg", "image/svg+xml"},
      {"/pic.png", "image/png"},
      {"/favicon.ico", "image/x-icon"},
      {"/data.json", "application/json"},
      {"/font.woff2", "font/woff2"},
      {"/assets/app.3f9a1c.js.map", "application/json"},
      {"/robots.txt", "text/plain; charset=utf-8"},
      {"/m.wasm", "application/wasm"},
  };
  for (const Case& c : cases) {
    HttpResponse response = Get(c.path);
    EXPECT_EQ(response.status, 200) << c.path;
    EXPECT_EQ(response.Header("Content-Type"), c.type) << c.path;
  }
  EXPECT_EQ(Get("/robots.txt").body, "User-agent: *");
  EXPECT_EQ(ContentTypeForExtension(".HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeForExtension(".xyz"), "application/octet-stream");
}

TEST_F(StaticFilesTest, CachingHeaders) {
  EXPECT_EQ(Get("/assets/style.81b2.css").Header("Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(Get("/").Header("Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/").body, "<!doctype html><title>app</title>");
  EXPECT_EQ(Get("/index.html").Header("Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/docs/").body, "<p>docs</p>");
  EXPECT_EQ(Get("/docs").body, "<p>docs</p>");
}

TEST_F(StaticFilesTest, ETagAndIfNoneMatch) {
  HttpResponse first = Get("/logo.svg");
  ASSERT_TRUE(first.Header("ETag"));
  std::string etag(*first.Header("ETag"));
  EXPECT_EQ(etag.front(), '"');
  HttpResponse again = Get("/logo.svg", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.Header("ETag"), etag);
  EXPECT_EQ(Get("/logo.svg", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
  EXPECT_EQ(Get("/logo.svg", {{"If-None-Match", "\"other\""}}).status, 200);
  // A changed file gets a new tag.
  Write(root_ / "logo.svg", "<svg width='2'/>");
  EXPECT_NE(Get("/logo.svg").Header("ETag"), etag);
}

TEST_F(StaticFilesTest, PrecompressedSiblingWhenAccepted) {
  HttpResponse gz = Get("/assets/app.3f9a1c.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.body, "GZIPPED");
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(gz.Header("Vary"), "Accept-Encoding");
  HttpResponse plain = Get("/assets/app.3f9a1c.js", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(plain.body, "console.log(1)");
  EXPECT_FALSE(plain.Header("Content-Encoding"));
  EXPECT_NE(plain.Header("ETag"), gz.Header("ETag"));
}

TEST_F(StaticFilesTest, TraversalAndHiddenFilesAreRefused) {
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/..%2fsecret.txt", "/..%2Fsecret.txt", "/assets/..%5c..%5csecret.txt", "/.env", "/%2eenv",
        "/escape.txt", "/robots.txt%00.html", "/%zz", "/assets/%2e%2e/%2e%2e/secret.txt", "/..",
        "/assets/.."}) {
    HttpResponse response = Get(path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(response.body.find("SECRET"), std::string::npos) << path;
  }
  // A symlink that stays inside the root is fine.
  EXPECT_EQ(Get("/inside-link.txt").status, 200);
}

TEST_F(StaticFilesTest, SpaFallbackForExtensionlessPathsOnly) {
  HttpResponse route = Get("/incidents/42");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, "<!doctype html><title>app</title>");
  EXPECT_EQ(route.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(Get("/missing.js").status, 404);
  EXPECT_EQ(Get("/api/nothing").status, 404);
  EXPECT_EQ(Get("/trpc/x.y").status, 404);
  EXPECT_EQ(Get("/api").status, 404);

  StaticFilesOptions no_spa;
  no_spa.root = root_;
  no_spa.spa_fallback = false;
  HttpRequest request;
  request.path = "/incidents/42";
  EXPECT_EQ(StaticFiles(no_spa).Serve(request).status, 404);
}

TEST_F(StaticFilesTest, MountedUnderAPrefixOnTheServer) {
  HttpServerOptions options;
  options.threads = 1;
  HttpServer server(options);
  server.Handle("GET", "/api/health",
                [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); });
  server.ServeStatic("/", root_, /*spa_fallback=*/true);
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();
  auto index = testing::Fetch(port, "GET", "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(testing::Fetch(port, "GET", "/api/health")->body, "ok");
  EXPECT_EQ(testing::Fetch(port, "GET", "/api/other")->status, 404);
  EXPECT_EQ(testing::Fetch(port, "GET", "/settings/users")->status, 200);
  for (const char* raw :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/assets/../../secret.txt"}) {
    auto response = testing::Fetch(port, "GET", raw);
    ASSERT_TRUE(response) << raw;
    EXPECT_EQ(response->status, 404) << raw;
  }
  auto head = testing::Fetch(port, "HEAD", "/assets/style.81b2.css");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "6");
  auto etag = head->Header("ETag");
  ASSERT_TRUE(etag);
  auto not_modified =
      testing::Fetch(port, "GET", "/assets/style.81b2.css", "If-None-Match: " + *etag + "\r\n");
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_EQ(testing::Fetch(port, "POST", "/index.html", "", "x")->status, 405);
  server.Stop();
}

}  // namespace
}  // namespace dai::server
