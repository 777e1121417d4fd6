// Test helper: a small well-formedness checker for the SVG and HTML we emit —
// balanced tags, quoted attributes, no stray '<', only known entities — plus
// element counts, so tests can say "three series" instead of grepping.
#pragma once

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace avr::test {

struct MarkupCheck {
  std::string error;  // empty when well-formed
  std::map<std::string, int> elements;  // tag name → how many
  int roots = 0;
};

inline bool valid_entity(const std::string& s, size_t amp, size_t* end) {
  const size_t semi = s.find(';', amp);
  if (semi == std::string::npos || semi - amp > 10) return false;
  const std::string name = s.substr(amp + 1, semi - amp - 1);
  *end = semi + 1;
  static const std::set<std::string> named = {"amp", "lt", "gt", "quot", "apos"};
  if (named.count(name)) return true;
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x';
    const std::string digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return false;
    for (char c : digits)
      if (!(std::isdigit(static_cast<unsigned char>(c)) || (hex && std::isxdigit(static_cast<unsigned char>(c)))))
        return false;
    return true;
  }
  return false;
}

// html = true allows a doctype and HTML's void elements (<meta>, <img>, ...).
inline MarkupCheck check_markup(const std::string& s, bool html = false) {
  static const std::set<std::string> voids = {"meta", "img", "br", "hr", "link", "input", "source"};
  MarkupCheck r;
  std::vector<std::string> stack;
  auto fail = [&](const std::string& why, size_t at) {
    r.error = why + " at offset " + std::to_string(at) + ": '" + s.substr(at, 60) + "'";
    return r;
  };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      size_t end;
      if (!valid_entity(s, i, &end)) return fail("bad entity", i);
      i = end;
      continue;
    }
    if (c == '>') return fail("stray '>'", i);
    if (c != '<') { ++i; continue; }
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t e = s.find("-->", i);
      if (e == std::string::npos) return fail("unclosed comment", i);
      i = e + 3;
      continue;
    }
    if (s.compare(i, 2, "<!") == 0 || s.compare(i, 2, "<?") == 0) {
      if (s.compare(i, 2, "<!") == 0 && !html) return fail("doctype in SVG", i);
      i = s.find('>', i) + 1;
      continue;
    }
    const bool closing = s[i + 1] == '/';
    size_t p = i + (closing ? 2 : 1);
    size_t n = p;
    while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) || s[n] == '-' || s[n] == ':')) ++n;
    const std::string name = s.substr(p, n - p);
    if (name.empty()) return fail("'<' not starting a tag", i);
    if (closing) {
      if (stack.empty() || stack.back() != name) return fail("mismatched </" + name + ">", i);
      stack.pop_back();
      if (s[n] != '>') return fail("junk in closing tag", i);
      i = n + 1;
      continue;
    }
    // Attributes: name="value" with a value free of '<' and bare '&'.
    std::set<std::string> seen;
    size_t q = n;
    bool self_closing = false;
    for (;;) {
      while (q < s.size() && std::isspace(static_cast<unsigned char>(s[q]))) ++q;
      if (q >= s.size()) return fail("unterminated tag", i);
      if (s[q] == '>') { ++q; break; }
      if (s.compare(q, 2, "/>") == 0) { q += 2; self_closing = true; break; }
      size_t a = q;
      while (a < s.size() && (std::isalnum(static_cast<unsigned char>(s[a])) || s[a] == '-' || s[a] == ':' || s[a] == '_')) ++a;
      const std::string attr = s.substr(q, a - q);
      if (attr.empty()) return fail("bad attribute in <" + name + ">", q);
      if (!seen.insert(attr).second) return fail("duplicate attribute " + attr, q);
      if (s[a] != '=' || s[a + 1] != '"') {
        if (html) { q = a; continue; }  // HTML boolean attribute (controls, open)
        return fail("unquoted attribute " + attr, q);
      }
      const size_t e = s.find('"', a + 2);
      if (e == std::string::npos) return fail("unterminated attribute", a);
      for (size_t k = a + 2; k < e; ++k) {
        if (s[k] == '<') return fail("'<' inside attribute", k);
        if (s[k] == '&') {
          size_t end;
          if (!valid_entity(s, k, &end)) return fail("bad entity in attribute", k);
        }
      }
      q = e + 1;
    }
    ++r.elements[name];
    if (stack.empty()) ++r.roots;
    const bool is_void = html && voids.count(name);
    if (!self_closing && !is_void) {
      stack.push_back(name);
      // <style> content is CSS, not markup: jump to its end tag.
      if (name == "style") {
        const size_t e = s.find("</style>", q);
        if (e == std::string::npos) return fail("unclosed <style>", i);
        q = e;
      }
    }
    i = q;
  }
  if (!stack.empty()) return fail("unclosed <" + stack.back() + ">", s.size() - 1);
  return r;
}

inline int count_of(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace avr::test
