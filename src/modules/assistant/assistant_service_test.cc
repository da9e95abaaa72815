// The assistant against the real Incident Commander on SQLite and PostgreSQL, and a fake LLM
// server on loopback that follows the OpenAI chat-completions wire format (JSON and
// text/event-stream answers, tool calls, error bodies, 429/500). No LLM server runs here.
#include "modules/assistant/assistant_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

#include "adapters/http/loopback_test_server.h"
#include "engines/alerts/alert.h"
#include "engines/postmortem/postmortem.h"
#include "modules/assistant/llm_narrator.h"
#include "modules/incident_commander/incident_service.h"
#include "modules/incident_commander/rca_service.h"
#include "modules/incident_commander/runbook_service.h"
#include "store/job_repository.h"
#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::assistant {
namespace {

using http::testing::LoopbackTestServer;
using store::testing::Backend;

std::string BodyOf(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}

std::string JsonAnswer(const Json& message, int prompt = 100, int completion = 20) {
  return LoopbackTestServer::Response(
      200,
      DumpJson(
          {{"id", "chatcmpl-test"},
           {"object", "chat.completion"},
           {"model", "fake-model"},
           {"choices", Json::array({{{"index", 0},
                                     {"message", message},
                                     {"finish_reason",
                                      message.contains("tool_calls") ? "tool_calls" : "stop"}}})},
           {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}}}}),
      "Content-Type: application/json\r\n");
}

Json ToolCalls(std::vector<std::pair<std::string, Json>> calls) {
  Json tc = Json::array();
  int n = 0;
  for (auto& [name, args] : calls) {
    tc.push_back({{"id", "call_" + std::to_string(n++)},
                  {"type", "function"},
                  {"function",
                   {{"name", name},
                    {"arguments", args.is_string() ? args.get<std::string>() : DumpJson(args)}}}});
  }
  return {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", tc}};
}

class AssistantTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    test_db_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!test_db_) {
      if (GetParam() == Backend::kPostgres && !store::testing::InCi()) GTEST_SKIP() << error;
      FAIL() << error;
    }
    ASSERT_TRUE(store::Migrate(db()).ok());
    clock_.SetMillis(ToUnixMillis(*ParseIso8601("2026-11-29T12:00:00Z")));
    incidents_ = std::make_unique<incidents::IncidentService>(
        db(), clock_, incidents::IncidentServiceOptions{}, nullptr);
    incidents_->RegisterProcedures(registry_);
    alerts::AlertBatch batch = alerts::DecodeAlertmanagerWebhook(
                                   R"({"version":"4","status":"firing","alerts":[
        {"labels":{"alertname":"CheckoutErrors","service":"checkout-api","severity":"critical"},
         "annotations":{"summary":"checkout-api errors; contact jane.doe@example.com key AKIAZ7QWERTY234ABCDE"},
         "startsAt":"2026-11-29T11:50:00Z"},
        {"labels":{"alertname":"DiskFilling","service":"db","severity":"warning"},
         "annotations":{"summary":"db disk filling"},"startsAt":"2026-11-29T11:55:00Z"}]})",
                                   clock_.Now())
                                   .value();
    ASSERT_TRUE(incidents_->Ingest(batch, "test").ok());
    viewer_.identity = Identity{};
    viewer_.identity->username = "vera";
    viewer_.identity->role = Role::kViewer;
    viewer_.identity->method = AuthMethod::kSession;
  }
  store::Database& db() { return test_db_->db(); }

  std::unique_ptr<AssistantService> Make(std::unique_ptr<llm::LlmClient> client,
                                         AssistantOptions options = {}) {
    return std::make_unique<AssistantService>(db(), clock_, registry_, std::move(client),
                                              std::move(options));
  }
  std::unique_ptr<llm::LlmClient> Client(uint16_t port, bool stream = false, double budget = 0,
                                         llm::LlmAuthHeader header = llm::LlmAuthHeader::kBearer) {
    llm::LlmOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
    o.model = "fake-model";
    o.api_key = "sk-test-key";
    o.http.policy = http::OutboundPolicy::AllowLocal();
    o.http.total_timeout = std::chrono::milliseconds(800);
    o.stream = stream;
    o.max_retry_wait = std::chrono::milliseconds(20);
    o.usd_per_1k_prompt_tokens = 0.5;
    o.usd_per_1k_completion_tokens = 1.5;
    o.budget_usd = budget;
    o.auth_header = header;
    return llm::LlmClient::Create(o).value();
  }
  int64_t OpenIncidents() {
    auto r = db().Query("SELECT COUNT(*) FROM incidents WHERE status <> 'resolved'");
    return r.ok() ? r->rows[0].GetInt(0) : -1;
  }

  FakeClock clock_{0};
  std::unique_ptr<store::testing::TestDatabase> test_db_;
  ProcedureRegistry registry_;
  std::unique_ptr<incidents::IncidentService> incidents_;
  CallContext viewer_;
};

TEST_P(AssistantTest, WithoutAnLlmFixedIntentsAreAnsweredFromTheTools) {
  auto a = Make(nullptr);
  auto fire = a->Ask("What is on fire?", viewer_);
  ASSERT_TRUE(fire.ok()) << fire.status().ToString();
  EXPECT_EQ((*fire)["mode"], "fallback");
  const std::string text = (*fire)["answer"];
  EXPECT_NE(text.find("an LLM is not configured"), std::string::npos) << text;
  EXPECT_NE(text.find("2 open incidents"), std::string::npos) << text;
  EXPECT_LT(text.find("[critical]"), text.find("[medium]")) << text;  // most severe first
  ASSERT_EQ((*fire)["citations"].size(), 1u);
  EXPECT_EQ((*fire)["citations"][0]["procedure"], "incidentCommander.list");
  EXPECT_EQ((*fire)["citations"][0]["ids"].size(), 2u);

  auto why = a->Ask("why is checkout-api failing", viewer_);
  ASSERT_TRUE(why.ok());
  EXPECT_NE((*why)["answer"].get<std::string>().find("checkout-api"), std::string::npos)
      << (*why)["answer"];
  EXPECT_EQ((*why)["answer"].get<std::string>().find("db disk"), std::string::npos)
      << (*why)["answer"];

  auto other = a->Ask("write me a poem", viewer_);
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)["answer"].get<std::string>().find("what is on fire?"), std::string::npos);
  auto n = db().Query("SELECT COUNT(*) FROM assistant_answers WHERE mode = 'fallback'");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows[0].GetInt(0), 3);
}

TEST_P(AssistantTest, TheModelCanLookButNotTouch) {
  std::atomic<int> turn{0};
  LoopbackTestServer llm([&](const std::string&) {
    if (turn++ == 0) {
      return JsonAnswer(ToolCalls({{"incidentCommander__list", Json{{"limit", 10}}},
                                   {"incidentCommander__resolve", Json{{"id", 1}}},  // a mutation
                                   {"auth__logout", Json::object()},
                                   {"incidentCommander__get", "{not json"},
                                   {"propose_action", Json{{"action", "resolve incident 1"},
                                                           {"reason", "it recovered"}}}}));
    }
    return JsonAnswer(
        {{"role", "assistant"}, {"content", "Incident #1 (checkout-api) is critical and open."}});
  });
  auto a = Make(Client(llm.port()));
  auto r = a->Ask("What is on fire?", viewer_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["mode"], "llm");
  EXPECT_EQ((*r)["answer"], "Incident #1 (checkout-api) is critical and open.");
  const Json calls = (*r)["toolCalls"];
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_TRUE(calls[0]["allowed"]);
  EXPECT_FALSE(calls[1]["allowed"]);
  EXPECT_NE(calls[1]["error"].get<std::string>().find("PERMISSION_DENIED"), std::string::npos);
  EXPECT_FALSE(calls[2]["allowed"]);
  EXPECT_FALSE(calls[3]["allowed"]);
  EXPECT_EQ(calls[3]["error"], "the arguments are not a JSON object");
  EXPECT_TRUE(calls[4]["allowed"]);
  ASSERT_EQ((*r)["proposals"].size(), 1u);
  EXPECT_EQ((*r)["proposals"][0]["status"], "pending approval by a person");
  EXPECT_EQ(OpenIncidents(), 2);  // nothing was resolved
  EXPECT_EQ((*r)["usage"]["promptTokens"], 200);
  EXPECT_DOUBLE_EQ((*r)["usage"]["costUsd"].get<double>(), 2 * (0.1 * 0.5 + 0.02 * 1.5));

  ASSERT_EQ(llm.requests().size(), 2u);
  const std::string first = llm.requests()[0];
  EXPECT_NE(first.find("Authorization: Bearer sk-test-key"), std::string::npos);
  const Json req1 = Json::parse(BodyOf(first));
  EXPECT_EQ(req1["model"], "fake-model");
  std::set<std::string> offered;
  for (const auto& t : req1["tools"]) offered.insert(t["function"]["name"].get<std::string>());
  EXPECT_TRUE(offered.count("incidentCommander__list"));
  EXPECT_FALSE(offered.count("incidentCommander__resolve"));
  // The tool results went back as quoted data, with the secret and the e-mail address redacted.
  const Json req2 = Json::parse(BodyOf(llm.requests()[1]));
  const Json& msgs = req2["messages"];
  ASSERT_GE(msgs.size(), 8u);
  const std::string list_result = msgs[3]["content"];
  EXPECT_EQ(msgs[3]["role"], "tool");
  EXPECT_EQ(msgs[3]["tool_call_id"], "call_0");
  EXPECT_EQ(list_result.rfind("<data source=\"incidentCommander.list\">", 0), 0u) << list_result;
  EXPECT_EQ(BodyOf(llm.requests()[1]).find("jane.doe@example.com"), std::string::npos);
  EXPECT_EQ(BodyOf(llm.requests()[1]).find("AKIAZ7QWERTY234ABCDE"), std::string::npos);
  EXPECT_NE(msgs[4]["content"].get<std::string>().find("refused"), std::string::npos);

  // Even an allow-list that names a mutation cannot make the server run it.
  AssistantOptions unsafe;
  unsafe.tools.push_back("incidentCommander.resolve");
  auto b = Make(nullptr, unsafe);
  auto refused = b->CallTool("incidentCommander.resolve", {{"id", 1}}, viewer_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("mutation"), std::string::npos);
  EXPECT_FALSE(b->ToolDefinitions().dump().find("incidentCommander__resolve") != std::string::npos);
  EXPECT_EQ(OpenIncidents(), 2);
  // Bad tool arguments are refused by the procedure's schema, naming the field.
  auto bad = b->CallTool("incidentCommander.list", {{"limit", "ten"}}, viewer_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("input.limit"), std::string::npos);
}

TEST_P(AssistantTest, StreamedAnswersWithToolCallDeltas) {
  std::atomic<int> turn{0};
  auto sse = [](const std::string& events) {
    return LoopbackTestServer::Response(200, events, "Content-Type: text/event-stream\r\n");
  };
  LoopbackTestServer llm([&](const std::string&) {
    if (turn++ == 0) {
      return sse(
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":"
          "0,\"id\":\"c1\","
          "\"type\":\"function\",\"function\":{\"name\":\"incidentCommander__list\",\"arguments\":"
          "\"\"}}]}}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
          "\"arguments\":\"{\\\"sev\"}}]}}]}\n\n"
          "data: "
          "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{"
          "\"arguments\":\"erity\\\":\\\"critical\\\"}\"}}]},"
          "\"finish_reason\":\"tool_calls\"}]}\n\n"
          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":5}}\n\n"
          "data: [DONE]\n\n");
    }
    return sse(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"One critical \"}}]}\n\n"
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"incident.\"},\"finish_reason\":"
        "\"stop\"}]}\n\n"
        "data: [DONE]\n\n");
  });
  auto a = Make(Client(llm.port(), /*stream=*/true));
  auto r = a->Ask("what is critical?", viewer_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["answer"], "One critical incident.");
  ASSERT_EQ((*r)["citations"].size(), 1u);
  EXPECT_EQ((*r)["citations"][0]["input"]["severity"], "critical");
  EXPECT_EQ((*r)["citations"][0]["ids"].size(), 1u);
  EXPECT_EQ(Json::parse(BodyOf(llm.requests()[0]))["stream"], true);
}

TEST_P(AssistantTest, ABadLlmNeverBlocksAnAnswer) {
  // 429 twice (Retry-After honoured, capped), then an answer.
  std::atomic<int> calls{0};
  LoopbackTestServer limited([&](const std::string&) {
    if (calls++ < 2) {
      return LoopbackTestServer::Response(
          429, R"({"error":{"message":"Rate limit reached","type":"requests"}})",
          "Retry-After: 30\r\n");
    }
    return JsonAnswer({{"role", "assistant"}, {"content", "fine"}});
  });
  auto r = Make(Client(limited.port()))->Ask("hello", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["answer"], "fine");
  EXPECT_EQ(calls.load(), 3);

  LoopbackTestServer broken([](const std::string&) {
    return LoopbackTestServer::Response(500, R"({"error":{"message":"model crashed"}})");
  });
  r = Make(Client(broken.port()))->Ask("what is on fire", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["mode"], "fallback");
  EXPECT_NE((*r)["error"].get<std::string>().find("model crashed"), std::string::npos)
      << (*r)["error"];
  EXPECT_NE((*r)["answer"].get<std::string>().find("2 open incidents"), std::string::npos);
  EXPECT_EQ(broken.requests().size(), 3u);  // bounded retries

  LoopbackTestServer garbage([](const std::string&) {
    return LoopbackTestServer::Response(
        200, R"({"choices":[{"message":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]})",
        "Content-Type: application/json\r\n");
  });
  r = Make(Client(garbage.port()))->Ask("what is on fire", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["mode"], "fallback");
  EXPECT_NE((*r)["error"].get<std::string>().find("function.name"), std::string::npos)
      << (*r)["error"];

  LoopbackTestServer hangs([](const std::string&) { return std::nullopt; });
  r = Make(Client(hangs.port()))->Ask("what is on fire", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["mode"], "fallback");
  EXPECT_NE((*r)["error"].get<std::string>().find("DEADLINE_EXCEEDED"), std::string::npos)
      << (*r)["error"];

  // A model that calls tools forever stops after max_rounds; a huge answer is cut.
  LoopbackTestServer loops([](const std::string&) {
    return JsonAnswer(ToolCalls({{"incidentCommander__list", Json::object()}}));
  });
  AssistantOptions few;
  few.max_rounds = 2;
  r = Make(Client(loops.port()), few)->Ask("loop", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(loops.requests().size(), 2u);
  EXPECT_NE((*r)["answer"].get<std::string>().find("stopped after 2 rounds"), std::string::npos);
  LoopbackTestServer huge([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", std::string(100000, 'x')}});
  });
  AssistantOptions small;
  small.max_answer_bytes = 1000;
  r = Make(Client(huge.port()), small)->Ask("big", viewer_);
  ASSERT_TRUE(r.ok());
  EXPECT_LT((*r)["answer"].get<std::string>().size(), 1100u);
}

TEST_P(AssistantTest, TheBudgetIsGlobalAndSurvivesRestarts) {
  LoopbackTestServer llm([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", "ok"}}, 1000, 1000);  // $2.00 per answer
  });
  auto a = Make(Client(llm.port(), false, /*budget=*/3.0));
  auto r1 = a->Ask("one", viewer_);
  auto r2 = a->Ask("two", viewer_);
  auto r3 = a->Ask("three", viewer_);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ((*r1)["mode"], "llm");
  EXPECT_EQ((*r2)["mode"], "llm");
  EXPECT_EQ((*r3)["mode"], "fallback");
  EXPECT_NE((*r3)["error"].get<std::string>().find("budget"), std::string::npos);
  EXPECT_EQ(llm.requests().size(), 2u);
  // A new service (a restart) starts from the recorded spending.
  auto b = Make(Client(llm.port(), false, 3.0));
  auto r4 = b->Ask("four", viewer_);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ((*r4)["mode"], "fallback");
  EXPECT_EQ(llm.requests().size(), 2u);
}

TEST_P(AssistantTest, AzureOpenAiGetsItsApiKeyHeader) {
  LoopbackTestServer llm([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", "hello"}});
  });
  auto r = Make(Client(llm.port(), false, 0, llm::LlmAuthHeader::kApiKey))->Ask("hi", viewer_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["mode"], "llm");
  ASSERT_EQ(llm.requests().size(), 1u);
  const std::string head = llm.requests()[0].substr(0, llm.requests()[0].find("\r\n\r\n"));
  EXPECT_NE(head.find("\r\napi-key: sk-test-key"), std::string::npos) << head;
  EXPECT_EQ(head.find("Authorization"), std::string::npos) << head;
}

// A proposal to run a runbook becomes a runbook execution awaiting a person's approval, even
// for a runbook that needs none; nothing runs until an operator approves it.
TEST_P(AssistantTest, ProposalsBecomePendingRunbookApprovals) {
  store::JobRepository jobs(db());
  incidents::RunbookService runbooks(db(), jobs, clock_, {}, nullptr);
  Identity alice;
  alice.username = "alice";
  alice.role = Role::kOperator;
  alice.user_id = 0;
  auto rb = runbooks.Create(
      "name: restart-checkout\nrequiresApproval: false\nparameters: [service]\nsteps:\n"
      "  - command: {argv: [/bin/echo, \"{{service}}\"], destructive: false}\n",
      alice);
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  const int64_t rb_id = (*rb)["id"].get<int64_t>();
  std::atomic<int> turn{0};
  LoopbackTestServer llm([&](const std::string&) {
    if (turn++ == 0) {
      return JsonAnswer(ToolCalls(
          {{"propose_action", Json{{"action", "run runbook restart-checkout for incident 1"},
                                   {"reason", "checkout-api errors"},
                                   {"runbookId", rb_id},
                                   {"incidentId", 1}}},
           {"propose_action", Json{{"action", "run runbook 999"}, {"runbookId", 999}}},
           {"propose_action", Json{{"action", "apply recommendation 4"}, {"recommendationId", 4}}},
           {"propose_action", Json{{"action", "x"}, {"runbookId", "one"}}},
           {"propose_action", Json{{"action", 5}, {"reason", Json::array()}}}}));
    }
    return JsonAnswer({{"role", "assistant"}, {"content", "I proposed a restart."}});
  });
  auto a = Make(Client(llm.port()));
  a->SetProposeRunbook([&](int64_t id, std::optional<int64_t> incident,
                           const std::map<std::string, std::string>& params,
                           const std::string& actor) {
    return runbooks.Execute(id, incident, false, params, actor, 0, true);
  });
  std::vector<std::pair<int64_t, std::string>> recommendations;
  a->SetProposeRecommendation(
      [&](int64_t id, const std::string&, const std::string& actor) -> Result<Json> {
        recommendations.emplace_back(id, actor);
        return Json{{"recommendationId", id}};
      });
  auto r = a->Ask("checkout is failing, fix it", viewer_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& proposals = (*r)["proposals"];
  ASSERT_EQ(proposals.size(), 2u) << proposals.dump();
  const int64_t execution = proposals[0]["approval"]["executionId"].get<int64_t>();
  EXPECT_EQ(proposals[0]["approval"]["kind"], "runbook_execution");
  EXPECT_EQ(proposals[0]["approval"]["incidentId"], 1);
  EXPECT_EQ(proposals[0]["status"],
            "awaiting approval (runbook execution " + std::to_string(execution) + ")");
  EXPECT_EQ(proposals[1]["recommendationId"], 4);
  // The recommendation proposal waits on the recommendation for a person (Cost page).
  EXPECT_EQ(proposals[1]["approval"]["kind"], "cost_recommendation");
  ASSERT_EQ(recommendations.size(), 1u);
  EXPECT_EQ(recommendations[0].first, 4);
  EXPECT_EQ(recommendations[0].second.rfind("assistant for ", 0), 0u);
  const Json calls = (*r)["toolCalls"];
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_FALSE(calls[4]["allowed"]);  // a number for the action: refused, not thrown
  EXPECT_FALSE(calls[1]["allowed"]);
  EXPECT_NE(calls[1]["error"].get<std::string>().find("runbook 999 does not exist"),
            std::string::npos)
      << calls[1];
  EXPECT_FALSE(calls[3]["allowed"]);
  EXPECT_NE(calls[3]["error"].get<std::string>().find("runbookId"), std::string::npos);

  auto e = runbooks.GetExecution(execution);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)["status"], "awaiting_approval");
  EXPECT_EQ((*e)["triggeredBy"], "assistant for vera");
  EXPECT_EQ((*e)["parameters"]["service"], "checkout-api");  // from the incident's labels
  // Nothing was queued: the execution waits for a person.
  auto queued = db().Query("SELECT COUNT(*) FROM jobs WHERE kind = 'runbook.execute'");
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->rows[0].GetInt(0), 0);
  // A person decides through the ordinary approval flow.
  auto approved = runbooks.Decide(execution, true, alice, "go ahead");
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ((*approved)["status"], "pending");
  queued = db().Query("SELECT COUNT(*) FROM jobs WHERE kind = 'runbook.execute'");
  EXPECT_EQ(queued->rows[0].GetInt(0), 1);
  // The answer is stored with its proposals.
  auto history = db().Query("SELECT proposals FROM assistant_answers ORDER BY id DESC LIMIT 1");
  ASSERT_TRUE(history.ok());
  EXPECT_NE(history->rows[0].GetString(0).find("runbook_execution"), std::string::npos);

  // At most max_proposals per answer.
  LoopbackTestServer many([&](const std::string& req) {
    if (req.find("\"role\":\"tool\"") == std::string::npos) {
      std::vector<std::pair<std::string, Json>> calls5;
      for (int i = 0; i < 5; ++i) calls5.push_back({"propose_action", Json{{"action", "a"}}});
      return JsonAnswer(ToolCalls(calls5));
    }
    return JsonAnswer({{"role", "assistant"}, {"content", "done"}});
  });
  AssistantOptions two;
  two.max_proposals = 2;
  auto b = Make(Client(many.port()), two)->Ask("propose", viewer_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)["proposals"].size(), 2u);
}

// The post-mortem narrative: written by the LLM from the redacted facts and labelled with the
// model; on failure (or without an LLM) the document is exactly the deterministic one. Its
// cost counts toward the global budget.
TEST_P(AssistantTest, PostMortemNarrativeFromTheLlmWithTheDeterministicFallback) {
  Identity alice;
  alice.username = "alice";
  alice.role = Role::kOperator;
  // Each generation adds a timeline row; they are removed first so every generation renders
  // the same record and the deterministic document is an exact oracle.
  auto generate = [&]() -> Result<Json> {
    EXPECT_TRUE(db().Query("DELETE FROM incident_actions WHERE action_type = 'analysis'").ok());
    return incidents_->GeneratePostMortem(1, alice);
  };
  auto oracle = generate();
  ASSERT_TRUE(oracle.ok()) << oracle.status().ToString();
  const std::string deterministic = (*oracle)["current"]["content"];
  EXPECT_EQ((*oracle)["current"]["narrative"]["mode"], "deterministic");
  EXPECT_EQ((*oracle)["current"]["narrative"]["reason"], "an LLM is not configured");
  EXPECT_EQ(deterministic.find("## Narrative"), std::string::npos);

  const std::string prose = "Checkout-api returned errors from 11:50 UTC; no cause was ranked.";
  LoopbackTestServer llm([&](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", "\n" + prose + "\n"}}, 1000, 1000);
  });
  std::shared_ptr<llm::LlmClient> client = Client(llm.port(), false, /*budget=*/3.0);
  LlmNarrator narrator(db(), clock_, client);
  incidents_->SetNarrator(&narrator);
  auto written = generate();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  const Json& current = (*written)["current"];
  EXPECT_EQ(current["narrative"]["mode"], "llm");
  EXPECT_EQ(current["narrative"]["model"], "fake-model");
  EXPECT_EQ(current["content"].get<std::string>(),
            postmortem::WithNarrative(deterministic, prose, "fake-model"));
  EXPECT_NE(current["content"].get<std::string>().find("Written by the LLM `fake-model`"),
            std::string::npos);
  ASSERT_EQ(llm.requests().size(), 1u);
  const std::string body = BodyOf(llm.requests()[0]);
  EXPECT_NE(body.find("<data source=\\\"incident.postmortem\\\">"), std::string::npos) << body;
  EXPECT_NE(body.find("checkout-api"), std::string::npos);
  EXPECT_EQ(body.find("jane.doe@example.com"), std::string::npos);
  EXPECT_EQ(body.find("AKIAZ7QWERTY234ABCDE"), std::string::npos);
  EXPECT_EQ(Json::parse(body).contains("tools"), false);  // prose only: no tools offered

  // A failing LLM: the deterministic document, saying why.
  LoopbackTestServer broken([](const std::string&) {
    return LoopbackTestServer::Response(500, R"({"error":{"message":"model crashed"}})");
  });
  LlmNarrator failing(db(), clock_, Client(broken.port()));
  incidents_->SetNarrator(&failing);
  auto fallback = generate();
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)["current"]["content"], deterministic);
  EXPECT_EQ((*fallback)["current"]["narrative"]["mode"], "deterministic");
  EXPECT_NE((*fallback)["current"]["narrative"]["reason"].get<std::string>().find("model crashed"),
            std::string::npos);

  // The budget: the narrative spent $2 of $3; a second one spends the rest, a third is refused.
  ASSERT_TRUE(generate().ok());  // through `failing`
  incidents_->SetNarrator(&narrator);
  auto second = generate();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["current"]["narrative"]["mode"], "llm");
  auto third = generate();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)["current"]["content"], deterministic);
  EXPECT_NE((*third)["current"]["narrative"]["reason"].get<std::string>().find("budget"),
            std::string::npos);
  EXPECT_EQ(llm.requests().size(), 2u);
  incidents_->SetNarrator(nullptr);
  auto calls = db().Query(
      "SELECT outcome, COUNT(*), SUM(cost_usd) FROM llm_calls GROUP BY outcome ORDER BY outcome");
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->rows.size(), 2u);
  EXPECT_EQ(calls->rows[0].GetString(0), "failed");
  EXPECT_EQ(calls->rows[0].GetInt(1), 3);
  EXPECT_EQ(calls->rows[1].GetString(0), "written");
  EXPECT_DOUBLE_EQ(calls->rows[1].GetDouble(2), 4.0);
  // After a restart the assistant starts from everything spent, module prose included.
  auto restarted = Make(Client(llm.port(), false, 3.0))->Ask("what is on fire", viewer_);
  ASSERT_TRUE(restarted.ok());
  EXPECT_EQ((*restarted)["mode"], "fallback");
  EXPECT_NE((*restarted)["error"].get<std::string>().find("budget"), std::string::npos);
}

// The RCA narrative: the ranking is computed and stored as without an LLM (the oracle); the LLM
// only adds an explanation of it, written from the ranking's evidence.
TEST_P(AssistantTest, RootCauseRankingGetsAnLlmNarrativeBesideTheDeterministicRanking) {
  incidents::RcaService rca(db(), clock_, nullptr);
  auto oracle = rca.Analyze(1, "alice");
  ASSERT_TRUE(oracle.ok()) << oracle.status().ToString();
  ASSERT_FALSE((*oracle)["ranking"].empty());
  EXPECT_EQ((*oracle)["narrative"]["mode"], "deterministic");
  EXPECT_EQ((*oracle)["narrative"]["reason"], "an LLM is not configured");

  LoopbackTestServer llm([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", "checkout-api is the likely cause."}});
  });
  LlmNarrator narrator(db(), clock_, Client(llm.port()));
  rca.SetNarrator(&narrator);
  auto written = rca.Analyze(1, "alice");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ((*written)["ranking"], (*oracle)["ranking"]);
  EXPECT_EQ((*written)["narrative"]["mode"], "llm");
  EXPECT_EQ((*written)["narrative"]["model"], "fake-model");
  EXPECT_EQ((*written)["narrative"]["text"], "checkout-api is the likely cause.");
  ASSERT_EQ(llm.requests().size(), 1u);
  const std::string body = BodyOf(llm.requests()[0]);
  EXPECT_NE(body.find("<data source=\\\"incident.rca\\\">"), std::string::npos) << body;
  EXPECT_NE(body.find("checkout-api"), std::string::npos);
  auto stored = rca.Get(1);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["narrative"]["text"], "checkout-api is the likely cause.");

  LoopbackTestServer broken([](const std::string&) {
    return LoopbackTestServer::Response(500, R"({"error":{"message":"model crashed"}})");
  });
  LlmNarrator failing(db(), clock_, Client(broken.port()));
  rca.SetNarrator(&failing);
  auto fallback = rca.Analyze(1, "alice");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)["ranking"], (*oracle)["ranking"]);
  EXPECT_EQ((*fallback)["narrative"]["mode"], "deterministic");
  EXPECT_FALSE((*fallback)["narrative"].contains("text"));
  EXPECT_NE((*fallback)["narrative"]["reason"].get<std::string>().find("model crashed"),
            std::string::npos);
}

// Bad LLM answers to a prose request: a huge answer is cut to the request's bound, a tool call
// (no tools are offered) or an empty answer is refused and the caller keeps its deterministic text.
TEST_P(AssistantTest, TheNarratorBoundsHugeAnswersAndRefusesToolCalls) {
  NarrationRequest request;
  request.purpose = "test";
  request.instructions = "Write.";
  request.facts = {{"x", 1}};
  request.max_bytes = 500;
  LoopbackTestServer huge([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", std::string(200000, 'y')}});
  });
  auto n = LlmNarrator(db(), clock_, Client(huge.port())).Write(request);
  EXPECT_TRUE(n.written_by_llm);
  EXPECT_LE(n.text.size(), 504u);
  LoopbackTestServer tools([](const std::string&) {
    return JsonAnswer(ToolCalls({{"incidentCommander__list", Json::object()}}));
  });
  n = LlmNarrator(db(), clock_, Client(tools.port())).Write(request);
  EXPECT_FALSE(n.written_by_llm);
  EXPECT_TRUE(n.text.empty());
  EXPECT_NE(n.fallback_reason.find("asked for a tool"), std::string::npos) << n.fallback_reason;
  LoopbackTestServer empty([](const std::string&) {
    return JsonAnswer({{"role", "assistant"}, {"content", "  \n "}});
  });
  n = LlmNarrator(db(), clock_, Client(empty.port())).Write(request);
  EXPECT_FALSE(n.written_by_llm);
  EXPECT_NE(n.fallback_reason.find("no text"), std::string::npos) << n.fallback_reason;
  LoopbackTestServer hangs([](const std::string&) { return std::nullopt; });
  n = LlmNarrator(db(), clock_, Client(hangs.port())).Write(request);
  EXPECT_FALSE(n.written_by_llm);
  EXPECT_NE(n.fallback_reason.find("DEADLINE_EXCEEDED"), std::string::npos) << n.fallback_reason;
  auto failed = db().Query("SELECT COUNT(*) FROM llm_calls WHERE outcome = 'failed'");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->rows[0].GetInt(0), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, AssistantTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::assistant
