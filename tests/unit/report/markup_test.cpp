#include "avr/report/markup.h"

#include <gtest/gtest.h>

namespace avr {
namespace {

// From a literal, embedded NULs included.
template <size_t N>
std::vector<uint8_t> bytes(const char (&s)[N]) {
  return {s, s + N - 1};
}
std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Markup, HtmlEscapeNeutralizesAllFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html_escape("ε = 0.06 ✗AV"), "ε = 0.06 ✗AV") << "UTF-8 passes through";
}

TEST(Markup, Base64MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : vectors) EXPECT_EQ(base64_encode(bytes(std::string(in))), out) << in;
  EXPECT_EQ(base64_encode(std::vector<uint8_t>{0xff, 0xfe, 0x00}), "//4A");
}

TEST(Markup, DataUriAndSignatureSniffing) {
  EXPECT_EQ(data_uri("image/png", bytes("foo")), "data:image/png;base64,Zm9v");
  EXPECT_EQ(sniff_mime(bytes("\x89PNG\r\n\x1a\nrest")), "image/png");
  EXPECT_EQ(sniff_mime(bytes("\xff\xd8\xff\xe0")), "image/jpeg");
  EXPECT_EQ(sniff_mime(bytes("RIFF\x24\0\0\0WAVEfmt ")), "audio/wav");
  EXPECT_EQ(sniff_mime(bytes("RIFF\x24\0\0\0AVI ")), "");
  EXPECT_EQ(sniff_mime(bytes("")), "");
}

TEST(Markup, SlugifyMakesStableFragmentIds) {
  EXPECT_EQ(slugify("Robustness under Attacks (Fig. 3)"), "robustness-under-attacks-fig-3");
  EXPECT_EQ(slugify("  --ε--  "), "section");
  EXPECT_EQ(slugify("A__B"), "a-b");
}

}  // namespace
}  // namespace avr
