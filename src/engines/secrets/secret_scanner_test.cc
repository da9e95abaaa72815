#include "engines/secrets/secret_scanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "engines/secrets/builtin_rules.h"

namespace dai::secrets {
namespace {

// A deterministic high-entropy alphanumeric string of length n.
std::string Mixed(size_t n) {
  static const char kAlphabet[] = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9cD2fG4hJ6kL8";
  std::string s;
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s.push_back(kAlphabet[(x >> 16) % (sizeof(kAlphabet) - 1)]);
  }
  return s;
}

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SecretScanner::Create(BuiltinRules());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    scanner_ = std::move(s).value();
    auto scratch = scanner_->NewScratch();
    ASSERT_TRUE(scratch.ok());
    scratch_ = std::move(scratch).value();
  }
  std::vector<Finding> Scan(std::string_view text, std::string_view path = "f.txt") {
    auto r = scanner_->Scan(text, path, *scratch_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value().findings : std::vector<Finding>{};
  }
  std::set<std::string> Rules(std::string_view text) {
    std::set<std::string> out;
    for (const auto& f : Scan(text)) out.insert(f.rule_id);
    return out;
  }
  std::unique_ptr<SecretScanner> scanner_;
  std::unique_ptr<ScanScratch> scratch_;
};

// Each built-in rule: a synthetic secret it must catch and a placeholder it must ignore.
TEST_F(ScannerTest, EachBuiltinRuleCatchesExampleAndIgnoresPlaceholder) {
  struct Case {
    std::string rule, positive, placeholder;
  };
  const std::vector<Case> cases = {
      {"aws-access-key-id", "key = AKIAZ3MQ7RL2XW4PN6TB\n", "key = AKIAIOSFODNN7EXAMPLE\n"},
      {"aws-secret-access-key",
       "aws_secret_access_key = \"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\"\n",
       "aws_secret_access_key = \"${AWS_SECRET_ACCESS_KEY}\"\n"},
      {"gcp-api-key", "k: AIzaSyB8x3Kq9LmN2pQr5StUv7WxYz0Ab1Cd2Ef\n",
       "k: AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n"},
      {"gcp-oauth-client-secret", "s=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\n",
       "s=GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"azure-storage-account-key",
       "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + Mixed(86) + "==" + ";\n",
       "AccountKey=" + std::string(86, 'x') + "==;\n"},
      {"azure-ad-client-secret", "secret: \"abc8Q~Xy7Zr3L0vFh2sWn9Tb7YcKd1Xp4Ue6Mj5\"\n",
       "secret: \"abc8Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"},
      {"github-pat", "token: ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n",
       "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"github-fine-grained-pat", "t=github_pat_" + Mixed(82) + "\n",
       "t=github_pat_" + std::string(82, 'x') + "\n"},
      {"gitlab-token", "GITLAB=glpat-Ab3dE5gH7jK9mN1pQ3sT\n",
       "GITLAB=glpat-xxxxxxxxxxxxxxxxxxxx\n"},
      {"slack-token", "SLACK=xoxb-2839402838-9283749283742-Ab3dE5gH7jK9mN1pQ3sT5v\n",
       "SLACK=xoxb-xxxxxxxxxx-xxxxxxxxxxxxx\n"},
      {"slack-webhook-url",
       "url=https://hooks.slack.com/services/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\n",
       "url=https://hooks.slack.com/services/XXXX\n"},
      {"stripe-key", "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n",
       "STRIPE=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"twilio-api-key", "TWILIO=SK8f3a9c2d7e1b4a6f9c0d2e5b8a1f4c7d\n",
       "TWILIO=SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"sendgrid-api-key", "SG." + Mixed(22) + "." + Mixed(43) + "\n",
       "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"npm-access-token",
       "//registry.npmjs.org/:_authToken=npm_Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9aB1cD3eF5\n",
       "//registry.npmjs.org/:_authToken=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"},
      {"pypi-upload-token",
       "password = pypi-AgEIcHlwaS5vcmcCJDk2ZjQ5YTgwLTQ3ZWMtNGQ0Ny1hNzQ2LTk1YmYxZTg4ZGY5Mw\n",
       "password = pypi-AgEIcHlwaS5vcmc<token>\n"},
      {"private-key",
       "-----BEGIN RSA PRIVATE "
       "KEY-----"
       "\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7h0kM8n3Xq4Lw2Yb5Zc6Vd7Ue8Tf9\nSg0Rh1Qi2Pj3Ok4Nl5M"
       "m6Ln7Ko8Jp9Iq0Hr1Gs2Ft3Eu4Dv5Cw6Bx7Ay8zZ9yY0xX1w\n-----END RSA PRIVATE KEY-----\n",
       "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n"},
      {"jwt",
       "Authorization: Bearer "
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
       "Authorization: Bearer eyXXXXXXXXXXXXXXXXXXXX.eyXXXXXXXXXXXXXXXXXXXX.XXXXXXXXXXXX\n"},
      {"database-url-password", "DATABASE_URL=postgres://app:Tr7x9Qp2Lm4@db.internal:5432/app\n",
       "DATABASE_URL=postgres://app:${DB_PASSWORD}@db.internal:5432/app\n"},
      {"openai-api-key", "OPENAI=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\n",
       "OPENAI=sk-xxxxxxxxxxxxxxxxxxxxT3BlbkFJxxxxxxxxxxxxxxxxxxxx\n"},
      {"generic-secret", "client_secret = \"Zr3L0vFh2sWn9Tb7YcKd1Xp4\"\n",
       "client_secret = \"your_client_secret_here\"\n"},
  };
  std::set<std::string> covered;
  for (const auto& c : cases) {
    auto pos = Rules(c.positive);
    EXPECT_TRUE(pos.count(c.rule)) << c.rule << " missed: " << c.positive;
    auto neg = Rules(c.placeholder);
    EXPECT_FALSE(neg.count(c.rule)) << c.rule << " flagged placeholder: " << c.placeholder;
    covered.insert(c.rule);
  }
  for (const auto& r : BuiltinRules().rules)
    EXPECT_TRUE(covered.count(r.id)) << r.id << " untested";
}

TEST_F(ScannerTest, EntropyFloorDropsLowEntropyValues) {
  EXPECT_NEAR(ShannonEntropy("aaaa"), 0.0, 1e-9);
  EXPECT_NEAR(ShannonEntropy("abcd"), 2.0, 1e-9);
  EXPECT_TRUE(Rules("api_token = \"Zr3L0vFh2sWn9Tb7YcKd1Xp4\"\n").count("generic-secret"));
  EXPECT_FALSE(Rules("api_token = \"abababababababababab\"\n").count("generic-secret"));
}

TEST_F(ScannerTest, AllowCommentSuppressesFindingOnItsLine) {
  EXPECT_EQ(Scan("k = ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm # devops-ai:allow\n").size(), 0u);
  auto f = Scan(
      "k = ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm # devops-ai:allow\n"
      "j = ghp_9Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].line, 2u);
  EXPECT_EQ(f[0].column, 5u);
}

TEST_F(ScannerTest, FindingsAreRedactedAndFingerprinted) {
  const std::string secret = "ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm";
  auto f = Scan("x " + secret + "\n", "a/b.env");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].redacted, "ghp_****");
  EXPECT_EQ(f[0].redacted.find("8Kd9"), std::string::npos);
  EXPECT_EQ(f[0].fingerprint, Fingerprint("github-pat", "a/b.env", secret));
  EXPECT_EQ(f[0].fingerprint.rfind("github-pat:a/b.env:", 0), 0u);
  // Stable across runs and offsets, different for another secret.
  auto g = Scan("\n\nx " + secret + "\n", "a/b.env");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].fingerprint, f[0].fingerprint);
  EXPECT_NE(Fingerprint("github-pat", "a/b.env", secret + "x"), f[0].fingerprint);
  EXPECT_EQ(Redact("ab"), "****");
}

TEST_F(ScannerTest, BinaryInputIsSkipped) {
  std::string data = "ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm";
  data.insert(0, std::string("\x7f"
                             "ELF\0\0",
                             6));
  auto r = scanner_->Scan(data, "bin", *scratch_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().skipped_binary);
  EXPECT_TRUE(r.value().findings.empty());
}

TEST_F(ScannerTest, HugeOneLineBufferScannedWithSecretsAtBothEnds) {
  // 100 MB minified-style line: memory stays bounded because candidate regions are bounded
  // (line snapping stops after a few KB) and nothing is copied.
  std::string data(100u << 20, 'a');
  for (size_t i = 0; i < data.size(); i += 97) data[i] = ';';
  const std::string secret = "ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm";
  data.replace(10, secret.size(), secret);
  data.replace(data.size() - 100, secret.size(), secret);
  data[9] = ' ';
  data[data.size() - 101] = ' ';
  data[10 + secret.size()] = ' ';
  data[data.size() - 100 + secret.size()] = ' ';
  auto r = scanner_->Scan(data, "min.js", *scratch_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().findings.size(), 2u);
  EXPECT_EQ(r.value().findings[0].offset, 10u);
  EXPECT_EQ(r.value().findings[1].offset, data.size() - 100);
  EXPECT_EQ(r.value().findings[1].line, 1u);
}

TEST(ScannerUserRules, CatastrophicRegexIsLinearInRe2) {
  // (a+)+$ backtracks exponentially in PCRE on "aaaa...!"; RE2 (the confirmer) is linear and
  // vectorscan is automaton-based, so the scan finishes; an invalid regex is rejected.
  RuleSet set;
  Rule r;
  r.id = "evil";
  r.regex = "(a+)+$";
  set.rules.push_back(r);
  auto s = SecretScanner::Create(set);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto scratch = s.value()->NewScratch();
  ASSERT_TRUE(scratch.ok());
  std::string data(1 << 20, 'a');
  data += "!";
  auto res = s.value()->Scan(data, "x", *scratch.value());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res.value().findings.empty());
  RuleSet bad;
  r.regex = "(a";
  bad.rules.push_back(r);
  EXPECT_FALSE(SecretScanner::Create(bad).ok());
  RuleSet backref;
  r.regex = "(a)\\1";
  backref.rules.push_back(r);
  EXPECT_FALSE(SecretScanner::Create(backref).ok());
}

TEST(ScannerUserRules, AllowlistTargetsAndConditions) {
  RuleSet set;
  Rule r;
  r.id = "tok";
  r.regex = R"(tok_([a-z0-9]{8}))";
  Allowlist and_list;
  and_list.condition = AllowCondition::kAnd;
  and_list.regexes = {"^test"};
  and_list.paths = {R"(\.md$)"};
  r.allowlists.push_back(and_list);
  Allowlist line_list;
  line_list.regex_target = AllowTarget::kLine;
  line_list.regexes = {"fixture"};
  r.allowlists.push_back(line_list);
  set.rules.push_back(r);
  auto s = SecretScanner::Create(set);
  ASSERT_TRUE(s.ok());
  auto scratch = s.value()->NewScratch();
  ASSERT_TRUE(scratch.ok());
  auto count = [&](std::string_view text, std::string_view path) {
    auto res = s.value()->Scan(text, path, *scratch.value());
    return res.ok() ? res.value().findings.size() : 99u;
  };
  EXPECT_EQ(count("x tok_test1234 y", "a.md"), 0u);  // both AND criteria hold
  EXPECT_EQ(count("x tok_test1234 y", "a.go"), 1u);  // only one holds
  EXPECT_EQ(count("x tok_abcd1234 fixture", "a.go"), 0u);
  EXPECT_EQ(count("x tok_abcd1234\nfixture", "a.go"), 1u);  // other line
}

}  // namespace
}  // namespace dai::secrets

namespace dai::secrets {
namespace {

// The keyword prefilter (rules with long keywords triggered by caseless literals, confirmed on
// the lines around each hit) finds exactly what the all-regex prefilter finds: secrets at the
// start and end of a buffer, inside long lines, repeated keywords, multi-line private keys.
TEST(PrefilterTest, KeywordAndRegexPrefiltersAgree) {
  auto kw = SecretScanner::Create(BuiltinRules(), Prefilter::kKeywords);
  auto rx = SecretScanner::Create(BuiltinRules(), Prefilter::kRegex);
  ASSERT_TRUE(kw.ok() && rx.ok());
  auto s1 = (*kw)->NewScratch();
  auto s2 = (*rx)->NewScratch();
  ASSERT_TRUE(s1.ok() && s2.ok());
  const std::string pem =
      "-----BEGIN RSA PRIVATE "
      "KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7h0kM8n3Xq4Lw2Yb5Zc6V"
      "d7Ue8Tf9\nSg0Rh1Qi2Pj3Ok4Nl5Mm6Ln7Ko8Jp9Iq0Hr1Gs2Ft3Eu4Dv5Cw6Bx7Ay8zZ9yY0xX1w\n-----END RSA "
      "PRIVATE KEY-----\n";
  const std::vector<std::string> inputs = {
      "ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm",
      std::string(9000, 'x') + " glpat-Ab3dE5gH7jK9mN1pQ3sT " + std::string(9000, 'y'),
      "a\n" + pem + "b\n" + pem,
      "hooks.slack.com hooks.slack.com\nurl=https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/"
      "Ab3dE5gH7jK9mN1pQ3sT5vW7\nSTRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc",
      "sk_live_ sk_live_ sk_live_\n\n\nSTRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\nSG." +
          std::string("Ab3dE5gH7jK9mN1pQ3sT5v") + ".Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9aB1cD3eF5gH7iJkLm",
  };
  for (const auto& in : inputs) {
    auto a = (*kw)->Scan(in, "f", **s1);
    auto b = (*rx)->Scan(in, "f", **s2);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->findings.size(), b->findings.size()) << in.substr(0, 80);
    EXPECT_FALSE(a->findings.empty()) << in.substr(0, 80);
    for (size_t i = 0; i < a->findings.size(); ++i) {
      EXPECT_EQ(a->findings[i].rule_id, b->findings[i].rule_id);
      EXPECT_EQ(a->findings[i].offset, b->findings[i].offset);
      EXPECT_EQ(a->findings[i].line, b->findings[i].line);
    }
  }
}

TEST(PrefilterTest, RuleSeverity) {
  EXPECT_EQ(RuleSeverity("aws-access-key-id"), "critical");
  EXPECT_EQ(RuleSeverity("private-key"), "critical");
  EXPECT_EQ(RuleSeverity("github-pat"), "high");
  EXPECT_EQ(RuleSeverity("generic-secret"), "medium");
  EXPECT_EQ(RuleSeverity("generic-api-key"), "medium");
}

// Regexes are syntax-checked at Create and compiled at first use: a valid pattern too large for
// RE2's memory budget fails the scan that needs it, naming the rule, and the scanner goes on
// serving the other rules' scans.
TEST(ScannerUserRules, RegexTooLargeToCompileFailsTheScanThatNeedsIt) {
  RuleSet set = BuiltinRules();
  Rule huge;
  huge.id = "huge-rule";
  for (int i = 0; i < 800; ++i) huge.regex += "(?:ab|cd|ef){1000}";  // ~7M instructions
  huge.keywords = {"zzzz"};  // keyword-triggered: not in the vectorscan database
  set.rules.push_back(huge);
  std::string error;
  EXPECT_TRUE(RegexSyntaxOk(huge.regex, &error)) << error;
  EXPECT_FALSE(RegexSyntaxOk("(a", &error));
  EXPECT_NE(error.find("missing )"), std::string::npos) << error;
  auto s = SecretScanner::Create(set);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto scratch = (*s)->NewScratch();
  ASSERT_TRUE(scratch.ok());
  auto clean = (*s)->Scan("token: ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n", "a", **scratch);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  ASSERT_FALSE(clean->findings.empty());
  EXPECT_EQ(clean->findings[0].rule_id, "github-pat");
  auto needs = (*s)->Scan("zzzz abc\n", "a", **scratch);
  ASSERT_FALSE(needs.ok());
  EXPECT_EQ(needs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(needs.status().message().find("rule huge-rule: regex"), std::string::npos)
      << needs.status().ToString();
  auto again = (*s)->Scan("token: ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n", "a", **scratch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->findings.size(), clean->findings.size());
}

// --- Serialized compiled databases (the on-disk cache of adapters/secretscan) ---

// Text with a finding for several rules (keyword-triggered and regex-prefiltered ones).
std::string SerializationSample() {
  return "aws_key = \"AKIAZ3MQ7RL2XW4PN6TB\"\n"
         "token: ghp_8Kd92LmQp3Rs7Tv1Wx5Yz0Bc4Df6Gh2Jk9Lm\n"
         "GITLAB=glpat-Ab3dE5gH7jK9mN1pQ3sT\n"
         "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n"
         "-----BEGIN RSA PRIVATE "
         "KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7h0kM8n3Xq4Lw2Yb5Zc6V"
         "d7Ue8Tf9\nSg0Rh1Qi2Pj3Ok4Nl5Mm6Ln7Ko8Jp9Iq0Hr1Gs2Ft3Eu4Dv5Cw6Bx7Ay8zZ9yY0xX1w\n"
         "-----END RSA PRIVATE KEY-----\n";
}

std::vector<std::string> FindingKeys(const SecretScanner& s, std::string_view text) {
  auto scratch = s.NewScratch();
  EXPECT_TRUE(scratch.ok());
  if (!scratch.ok()) return {};
  auto r = s.Scan(text, "f.txt", **scratch);
  EXPECT_TRUE(r.ok());
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const auto& f : r->findings)
    out.push_back(f.rule_id + "@" + std::to_string(f.offset) + ":" + std::to_string(f.line) + ":" +
                  f.fingerprint);
  return out;
}

// A rule set with rules vectorscan rejects even as prefilters (they can match the empty
// string), so the serialized form must carry which rules fell back to keywords / RE2: one with
// a short keyword (triggered by it) and one without keywords (RE2 over the whole buffer).
RuleSet WithFallbackRules() {
  RuleSet set = BuiltinRules();
  Rule r;
  r.id = "optional-token";
  r.regex = R"((?:tk_[a-z0-9]{20})?)";
  r.keywords = {"tk_"};
  set.rules.push_back(r);
  Rule w;
  w.id = "no-keyword-rule";
  w.regex = R"((?:zzq_[A-Z0-9]{12})?)";
  set.rules.push_back(w);
  return set;
}

TEST(SerializedDatabase, RoundTripGivesTheSameFindingsAndFallbacks) {
  for (Prefilter p : {Prefilter::kKeywords, Prefilter::kRegex}) {
    auto built = SecretScanner::Create(WithFallbackRules(), p);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    auto bytes = (*built)->SerializeDatabase();
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto loaded = SecretScanner::CreateFromSerialized(WithFallbackRules(), p, *bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ((*loaded)->rule_count(), (*built)->rule_count());
    EXPECT_EQ((*built)->FallbackRuleIds(),
              (std::vector<std::string>{"optional-token", "no-keyword-rule"}));
    EXPECT_EQ((*loaded)->FallbackRuleIds(), (*built)->FallbackRuleIds());
    EXPECT_EQ((*loaded)->database_key(), (*built)->database_key());
    const std::string text =
        SerializationSample() + "x tk_abcdefghij0123456789 y\nzzq_AB12CD34EF56\n";
    auto want = FindingKeys(**built, text);
    EXPECT_GE(want.size(), 7u);
    EXPECT_NE(std::find_if(want.begin(), want.end(),
                           [](const std::string& k) { return k.rfind("optional-token@", 0) == 0; }),
              want.end());
    EXPECT_NE(
        std::find_if(want.begin(), want.end(),
                     [](const std::string& k) { return k.rfind("no-keyword-rule@", 0) == 0; }),
        want.end());
    EXPECT_EQ(FindingKeys(**loaded, text), want);
    // Serializing the loaded scanner gives the same bytes.
    auto again = (*loaded)->SerializeDatabase();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *bytes);
  }
}

TEST(SerializedDatabase, CorruptOrTruncatedBytesAreRejected) {
  auto built = SecretScanner::Create(BuiltinRules());
  ASSERT_TRUE(built.ok());
  auto bytes = (*built)->SerializeDatabase();
  ASSERT_TRUE(bytes.ok());
  std::vector<std::string> bad = {"",
                                  "DAISECDB",
                                  "not a database at all, just text",
                                  bytes->substr(0, bytes->size() / 2),
                                  bytes->substr(0, bytes->size() - 1),
                                  *bytes + "x"};
  for (size_t at : {size_t{9}, size_t{100}, bytes->size() / 2, bytes->size() - 20}) {
    std::string flipped = *bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x40);
    bad.push_back(flipped);
  }
  for (const auto& b : bad) {
    auto r = SecretScanner::CreateFromSerialized(BuiltinRules(), Prefilter::kKeywords, b);
    ASSERT_FALSE(r.ok()) << "accepted " << b.size() << " bytes";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  }
}

TEST(SerializedDatabase, DatabaseOfAnotherRuleSetOrPrefilterIsRefused) {
  auto built = SecretScanner::Create(BuiltinRules());
  ASSERT_TRUE(built.ok());
  auto bytes = (*built)->SerializeDatabase();
  ASSERT_TRUE(bytes.ok());
  RuleSet fewer = BuiltinRules();
  fewer.rules.pop_back();
  RuleSet edited = BuiltinRules();
  edited.rules[0].entropy += 0.5;
  for (auto [set, p] :
       {std::pair{fewer, Prefilter::kKeywords}, std::pair{edited, Prefilter::kKeywords},
        std::pair{BuiltinRules(), Prefilter::kRegex}}) {
    auto r = SecretScanner::CreateFromSerialized(set, p, *bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
    EXPECT_NE(r.status().message().find("another rule set"), std::string::npos);
  }
}

TEST(SerializedDatabase, KeyCoversEveryRuleFieldAndThePrefilter) {
  const RuleSet base = BuiltinRules();
  const std::string key = SecretScanner::DatabaseKey(base, Prefilter::kKeywords);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, SecretScanner::DatabaseKey(BuiltinRules(), Prefilter::kKeywords));
  EXPECT_NE(key, SecretScanner::DatabaseKey(base, Prefilter::kRegex));
  std::vector<RuleSet> variants(9, base);
  variants[0].rules[1].id += "x";
  variants[1].rules[1].regex += "x";
  variants[2].rules[1].keywords.push_back("extra");
  variants[3].rules[1].entropy = 4.25;
  variants[4].rules[1].secret_group = 1;
  variants[5].rules[1].path = "\\.env$";
  Allowlist stop;
  stop.stopwords = {"example"};
  variants[6].rules[1].allowlists.push_back(stop);
  Allowlist vendor;
  vendor.paths = {"vendor/"};
  variants[7].global_allowlists.push_back(vendor);
  std::swap(variants[8].rules[0], variants[8].rules[1]);
  std::set<std::string> keys = {key};
  for (const auto& v : variants) keys.insert(SecretScanner::DatabaseKey(v, Prefilter::kKeywords));
  EXPECT_EQ(keys.size(), variants.size() + 1);
}

}  // namespace
}  // namespace dai::secrets
