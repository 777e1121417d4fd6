// Text and bytes made safe for an HTML or SVG page: escaping, base64 and
// data: URIs, so a report embeds everything and opens from disk offline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace avr {

// Escapes & < > " ' so the text is inert both between tags and inside a quoted
// attribute (HTML and XML alike).
std::string html_escape(std::string_view text);

// RFC 4648 base64 with padding, no line breaks.
std::string base64_encode(const uint8_t* data, size_t size);
std::string base64_encode(const std::vector<uint8_t>& bytes);

// "data:<mime>;base64,<...>" for src= attributes.
std::string data_uri(std::string_view mime, const std::vector<uint8_t>& bytes);

// The MIME type of PNG, JPEG or RIFF/WAVE bytes judged by their signature;
// an empty string for anything else (the caller decides whether that is an error).
std::string sniff_mime(const std::vector<uint8_t>& bytes);

// A fragment id ("accuracy-vs-eps") from free text: lower-case ASCII letters
// and digits joined by single dashes; "section" when nothing is left.
std::string slugify(std::string_view text);

}  // namespace avr
