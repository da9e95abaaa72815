#include "engines/secrets/builtin_rules.h"

namespace dai::secrets {
namespace {

// Trailer shared by token rules: the token ends at a quote, whitespace, ';', an escaped
// newline or the end of text (the delimiter gitleaks uses).
#define DAI_END R"((?:[\x60'"\s;,)\]}]|\\[nr]|$))"

Rule Make(std::string id, std::string description, std::string regex,
          std::vector<std::string> keywords, double entropy = 0, int secret_group = 0) {
  Rule r;
  r.id = std::move(id);
  r.description = std::move(description);
  r.regex = std::move(regex);
  r.keywords = std::move(keywords);
  r.entropy = entropy;
  r.secret_group = secret_group;
  return r;
}

}  // namespace

RuleSet BuiltinRules() {
  RuleSet set;
  auto& r = set.rules;
  r.push_back(Make("aws-access-key-id", "AWS access key id",
                   R"(\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b)",
                   {"akia", "asia", "abia", "acca", "a3t"}, 3));
  r.push_back(Make("aws-secret-access-key", "AWS secret access key",
                   R"((?i)aws[\w.-]{0,20}?(?:secret|private)[\w.-]{0,20}[\s'"]{0,3}(?:=|:=|:|=>)[\s'"\x60]{0,5}([A-Za-z0-9/+]{40}))" DAI_END,
                   {"aws"}, 3.5));
  r.push_back(Make("gcp-api-key", "Google Cloud API key", R"(\b(AIza[\w-]{35}))" DAI_END,
                   {"aiza"}, 3.5));
  r.push_back(Make("gcp-oauth-client-secret", "Google OAuth client secret",
                   R"(\b(GOCSPX-[A-Za-z0-9_-]{28}))" DAI_END, {"gocspx-"}, 3));
  r.push_back(Make("azure-storage-account-key", "Azure storage account key",
                   R"((?i)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==))", {"accountkey"}, 4));
  r.push_back(Make("azure-ad-client-secret", "Azure AD client secret",
                   R"((?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),]))",
                   {"q~"}, 3));
  r.push_back(Make("github-pat", "GitHub personal access token",
                   R"(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}))" DAI_END,
                   {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, 3));
  r.push_back(Make("github-fine-grained-pat", "GitHub fine-grained personal access token",
                   R"(\b(github_pat_[A-Za-z0-9_]{82}))" DAI_END, {"github_pat_"}, 3));
  r.push_back(Make("gitlab-token", "GitLab token (personal, deploy, runner, pipeline trigger)",
                   R"(\b((?:glpat|gldt|glrt|glptt|glcbt|glft|glsoat|gloas)-[A-Za-z0-9_-]{20,64}|GR1348941[A-Za-z0-9_-]{20}))" DAI_END,
                   {"glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-", "gloas-",
                    "gr1348941"},
                   3));
  r.push_back(Make("slack-token", "Slack bot, user, app or config token",
                   R"(\b(xox[abposre]-[0-9A-Za-z-]{10,250}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+|xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}))",
                   {"xox", "xapp-"}, 3));
  r.push_back(Make("slack-webhook-url", "Slack incoming webhook URL",
                   R"((hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}))",
                   {"hooks.slack.com"}));
  r.push_back(Make("stripe-key", "Stripe secret or restricted key",
                   R"(\b((?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99}))" DAI_END,
                   {"sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod"}, 2));
  r.push_back(Make("twilio-api-key", "Twilio API key", R"(\b(SK[0-9a-fA-F]{32}))" DAI_END,
                   {"sk"}, 3));
  r.push_back(Make("sendgrid-api-key", "SendGrid API key",
                   R"(\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}))" DAI_END, {"sg."}, 3));
  r.push_back(Make("npm-access-token", "npm access token", R"(\b(npm_[A-Za-z0-9]{36}))" DAI_END,
                   {"npm_"}, 3));
  r.push_back(Make("pypi-upload-token", "PyPI upload token",
                   R"((pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}))", {"pypi-ageichlwas5vcmc"}));
  r.push_back(Make("private-key", "Private key (PEM)",
                   R"((-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----))",
                   {"-----begin"}));
  r.push_back(Make("jwt", "JSON Web Token",
                   R"(\b(ey[A-Za-z0-9]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?))" DAI_END,
                   {"ey"}, 3));
  r.push_back(Make("database-url-password", "Database connection URL with a password",
                   R"((?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|jdbc:[a-z0-9]+)://[^\s:/@'"\x60]{1,128}:([^\s@'"\x60/]{3,128})@[^\s/'"\x60]+)",
                   {"://"}, 0, 1));
  r.push_back(Make("openai-api-key", "OpenAI API key",
                   R"(\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,74}T3BlbkFJ[A-Za-z0-9_-]{58,74}|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}))" DAI_END,
                   {"t3blbkfj"}, 3));
  r.push_back(Make("generic-secret", "Keyword assignment with a high-entropy value",
                   R"((?i)[\w.-]{0,40}?(?:secret|token|passw(?:or)?d|pwd|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|credential|auth[_.-]?key)[\w.-]{0,20}[\s'"]{0,3}(?:=|:=|:|=>|\?=)[\s'"\x60]{0,5}([A-Za-z0-9+/_.~=-]{12,150}))" DAI_END,
                   {"secret", "token", "passw", "pwd", "key", "credential"}, 3.5));
  // Placeholders and values that name a variable instead of holding a secret.
  Allowlist generic;
  generic.description = "identifiers and lower-entropy words";
  generic.regexes = {R"(^[a-zA-Z_.-]+$)", R"(^[A-Z0-9_]+$)"};
  r.back().allowlists.push_back(generic);
  Allowlist db;
  db.description = "password placeholders in URLs";
  db.regexes = {R"((?i)^(?:pass(?:word)?|pwd|secret|changeme|changeit|test|admin|root|user|\*+|x+|\.+)$)",
                R"(^\$)", R"(^%)", R"(^<)", R"(^\{)"};
  for (auto& rule : set.rules)
    if (rule.id == "database-url-password") rule.allowlists.push_back(db);

  Allowlist placeholders;
  placeholders.description = "placeholder and example values";
  placeholders.regexes = {
      R"((?i)example|sample|dummy|placeholder|changeme|redacted|your[_-]?(?:api|secret|token|key|password))",
      R"((?i)x{4,}|\*{4,}|0{8,}|(?:abc|123|1234567890){3,})",
      R"(\$\{[^}]*\}|\{\{[^}]*\}\}|<[A-Za-z_ -]+>|%\([A-Za-z_]+\)s)",
  };
  set.global_allowlists.push_back(placeholders);
  Allowlist paths;
  paths.description = "files that hold no secrets of the user";
  paths.paths = {R"((?i)\.(?:bmp|gif|jpe?g|png|svg|tiff?|eot|[ot]tf|woff2?|pdf|exe|dll)$)",
                 R"((?:^|/)(?:go\.sum|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock)$)"};
  set.global_allowlists.push_back(paths);
  return set;
}

#undef DAI_END

}  // namespace dai::secrets
