#include "server/trpc.h"

#include <gtest/gtest.h>

namespace dai::trpc {
namespace {

TEST(TrpcDecodeTest, QueryWithInput) {
  auto r = Decode("GET", "incidentCommander.get", "input=%7B%22id%22%3A7%7D", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->calls.size(), 1u);
  EXPECT_FALSE(r->batch);
  EXPECT_EQ(r->calls[0].path, "incidentCommander.get");
  EXPECT_EQ(r->calls[0].input->at("id"), 7);
}

TEST(TrpcDecodeTest, QueryWithoutInputIsUndefined) {
  auto r = Decode("GET", "auth.status", "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->calls[0].input.has_value());
}

TEST(TrpcDecodeTest, MutationBody) {
  auto r = Decode("POST", "auth.login", "", R"({"username":"a","password":"b"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_post);
  EXPECT_EQ(r->calls[0].input->at("username"), "a");
}

TEST(TrpcDecodeTest, BatchGetWithSomeInputsOmitted) {
  auto r = Decode("GET", "a.b,c.d,e.f", "batch=1&input=%7B%220%22%3A1%2C%222%22%3A%7B%7D%7D", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->calls.size(), 3u);
  EXPECT_EQ(*r->calls[0].input, 1);
  EXPECT_FALSE(r->calls[1].input.has_value());
  EXPECT_TRUE(r->calls[2].input->is_object());
}

TEST(TrpcDecodeTest, BatchPost) {
  auto r = Decode("POST", "a.b%2Cc.d", "batch=1", R"({"0":{"x":1},"1":null})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->calls.size(), 2u);
  EXPECT_EQ(r->calls[1].input->is_null(), true);
}

TEST(TrpcDecodeTest, Errors) {
  EXPECT_EQ(Decode("GET", "a.b", "input=%7Bbad", "").status().code(), StatusCode::kParseError);
  EXPECT_EQ(Decode("POST", "a.b", "", "{").status().code(), StatusCode::kParseError);
  EXPECT_EQ(Decode("GET", "a.b", "input=%zz", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode("GET", "a.b", "input=%4", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode("GET", "a.b,c.d", "", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode("GET", "", "", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Decode("GET", "a,,b", "batch=1", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Decode("PUT", "a.b", "", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode("POST", "a,b", "batch=1", "[1,2]").status().code(), StatusCode::kInvalidArgument);
  std::string many;
  for (int i = 0; i < 100; ++i) many += (i ? ",p" : "p") + std::to_string(i);
  EXPECT_EQ(Decode("GET", many, "batch=1", "").status().code(), StatusCode::kPayloadTooLarge);
  EXPECT_EQ(Decode("POST", "a.b", "", std::string(100, '[') + std::string(100, ']')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TrpcDecodeTest, InvalidUtf8IsRefused) {
  EXPECT_FALSE(Decode("POST", "a.b", "", "{\"x\":\"\xff\"}").ok());
}

TEST(TrpcEnvelopeTest, Shapes) {
  EXPECT_EQ(DumpJson(SuccessEnvelope(Json{{"a", 1}})), R"({"result":{"data":{"a":1}}})");
  for (const Json& data : {Json{{"a", 1}}, Json(), Json::array({1, "x"}), Json("\u00e9\n")}) {
    EXPECT_EQ(SuccessEnvelopeText(data), DumpJson(SuccessEnvelope(data))) << data.dump();
  }
  Json e = ErrorEnvelope(Status::InvalidArgument("input.id: expected integer"), "x.y");
  EXPECT_EQ(e["error"]["code"], -32600);
  EXPECT_EQ(e["error"]["data"]["code"], "BAD_REQUEST");
  EXPECT_EQ(e["error"]["data"]["httpStatus"], 400);
  EXPECT_EQ(e["error"]["data"]["path"], "x.y");
  EXPECT_EQ(ErrorCodeFor(StatusCode::kUnimplemented).http_status, 501);
  EXPECT_EQ(ErrorCodeFor(StatusCode::kResourceExhausted).json_rpc, -32029);
}

}  // namespace
}  // namespace dai::trpc
