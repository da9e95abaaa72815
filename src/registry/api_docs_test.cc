#include "registry/api_docs.h"

#include <gtest/gtest.h>

#include "registry/schema.h"

namespace dai {
namespace {

ProcedureRegistry Sample() {
  namespace s = schema;
  ProcedureRegistry r;
  Procedure p;
  p.path = "incidentCommander.get";
  p.kind = ProcedureKind::kQuery;
  p.min_role = Role::kViewer;
  p.input_schema = s::Object({s::Req("id", s::Int(1))});
  p.output_schema = s::Object({s::Req("id", s::Int()), s::Opt("owner", s::Nullable(s::String())),
                               s::Req("labels", s::StringMap())});
  p.summary = "Get one incident";
  p.handler = [](const Json&, CallContext&) -> Result<Json> { return Json::object(); };
  r.Add(p);
  r.AddNotImplemented("costOptimizer.setbudget", ProcedureKind::kMutation, Role::kOperator,
                      s::Object({s::Req("amount", s::Number())}), s::Any(), "Set a budget", "issue #8");
  return r;
}

TEST(ApiDocsTest, OpenApiHasEveryProcedure) {
  Json doc = BuildOpenApi(Sample(), "1.2.3");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"]["/trpc/incidentCommander.get"].contains("get"));
  EXPECT_TRUE(doc["paths"]["/trpc/costOptimizer.setbudget"].contains("post"));
  EXPECT_TRUE(doc["paths"]["/trpc/costOptimizer.setbudget"]["post"]["responses"].contains("501"));
  EXPECT_EQ(doc["paths"]["/trpc/incidentCommander.get"]["get"]["x-min-role"], "viewer");
}

TEST(ApiDocsTest, TypeScriptTypes) {
  const std::string ts = BuildTypeScript(Sample());
  EXPECT_NE(ts.find("\"incidentCommander.get\": {"), std::string::npos);
  EXPECT_NE(ts.find("\"id\": number;"), std::string::npos);
  EXPECT_NE(ts.find("\"owner\"?: string | null;"), std::string::npos);
  EXPECT_NE(ts.find("\"labels\": Record<string, string>;"), std::string::npos);
  EXPECT_NE(ts.find("implemented: false;"), std::string::npos);
}

TEST(ApiDocsTest, NotImplementedAnswers501) {
  ProcedureRegistry r = Sample();
  const Procedure* p = r.Find("costOptimizer.setbudget");
  ASSERT_NE(p, nullptr);
  CallContext ctx;
  auto out = p->handler(Json::object(), ctx);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace dai
