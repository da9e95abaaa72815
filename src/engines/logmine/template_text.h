// Template text conventions: how a template string is written and how built-in variable
// classes are recognised inside one token.
//
// NormalizeTemplate implements the template-writing conventions that Loghub-2.0's corrected
// ground truth follows (Khan et al. ICSE 2022, Jiang et al. ISSTA 2024): single spaces;
// path-like strings (`/a/b`) are one variable; booleans and a few default strings (true, false,
// null, root) are variables; digit-only pieces are variables; a piece glued to a variable
// becomes the variable; variables separated only by '.' or by nothing merge; separators such
// as ':' between variables stay (`<*>:<*>`).
//
// MaskToken marks the built-in variable classes inside one whitespace token: numbers, hex
// (0x..., long hex ids), identifiers dominated by digits (job_1445_0020), numbers with a unit
// (30ms), UUIDs, MAC addresses, paths, URLs, plus the words above.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dai::logmine {

inline constexpr std::string_view kWildcard = "<*>";

//! Rewrites `text` (a template with `<*>` variables) in the convention above.
std::string NormalizeTemplate(std::string_view text);

//! Appends the masked form of one whitespace-free token to `out` (variables as `<*>`, then
//! normalised). Returns true when any part of the token was masked.
bool MaskToken(std::string_view token, std::string& out);

//! The most specific pattern covering two masked tokens that differ: pieces between the same
//! delimiters are kept where equal and become `<*>` where not (first at fine delimiters such as
//! '.', '-', then at structural ones such as ':', '[', '/'); `<*>` when the shapes differ.
//! `[a1:80]` and `[b2:81]` give `[<*>:<*>]`.
std::string GeneralizeToken(std::string_view a, std::string_view b);

//! True for characters that separate pieces inside a token (Loghub-2.0's token delimiters).
bool IsTokenDelimiter(char c);

}  // namespace dai::logmine
