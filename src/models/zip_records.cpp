#include "zip_records.h"

#include <zip.h>

#include <cstdint>
#include <memory>

namespace avr::detail {

std::string zip_records_problem(const std::filesystem::path& file) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(file, ec);
  if (ec) return "cannot read its size: " + ec.message();
  int code = 0;
  zip_t* opened = zip_open(file.c_str(), ZIP_RDONLY, &code);
  if (!opened) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string why = std::string("not a zip archive, or its directory is damaged: libzip says '") +
                      zip_error_strerror(&error) + "'";
    zip_error_fini(&error);
    return why;
  }
  const std::unique_ptr<zip_t, decltype(&zip_discard)> archive(opened, &zip_discard);
  const zip_int64_t records = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < records; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0)
      return "record " + std::to_string(i) + " cannot be read: " + zip_strerror(archive.get());
    const std::string name = (st.valid & ZIP_STAT_NAME) && st.name ? st.name : "#" + std::to_string(i);
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
      return "record '" + name + "' does not say its size";
    if (st.comp_size > file_size)
      return "record '" + name + "' claims " + std::to_string(st.comp_size) + " bytes in a file of " +
             std::to_string(file_size);
    // Deflate cannot expand a byte by more than 1032 times (RFC 1951: a 258-byte match in
    // at least 2 bits); other methods are held to the same bound.
    const bool stored = st.comp_method == ZIP_CM_STORE;
    const uint64_t most = stored ? st.comp_size : st.comp_size * 1032 + 1024;
    if (st.size > most)
      return "record '" + name + "' claims " + std::to_string(st.size) + " bytes from " +
             std::to_string(st.comp_size) + (stored ? " stored" : " compressed") + " ones";
  }
  return "";
}

}  // namespace avr::detail
