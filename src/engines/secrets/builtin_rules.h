// The built-in rule set: the providers users actually leak (AWS, GCP, Azure, GitHub, GitLab,
// Slack, Stripe, Twilio, SendGrid, npm, PyPI, private keys, JWTs, database URLs, generic
// keyword + high-entropy assignments) with a global allow-list of placeholder values.
// Thread-safe (returns a fresh copy).
#pragma once

#include "engines/secrets/rule.h"

namespace dai::secrets {

//! Returns the built-in rules (ids are stable: they appear in fingerprints and baselines).
RuleSet BuiltinRules();

}  // namespace dai::secrets
