// The records of a PyTorch zip archive (torch.save, avr checkpoints), as its central
// directory declares them, checked against the file before LibTorch reads it.
// LibTorch 1.13's PyTorchStreamReader allocates a record's declared size before miniz
// finds that the bytes are not there: a 2,535-byte checkpoint whose 'version' record
// claims 4,294,967,293 bytes made it allocate 4 GB, then fail (fuzz_checkpoint: 11–19 s
// and 1.2 GB resident a file under ASan; free only because untouched pages cost nothing
// without it). The directory is read with libzip (Debian's).
#pragma once

#include <filesystem>
#include <string>

namespace avr::detail {

// "" when the file is a zip archive whose every record fits in it: its compressed size
// is at most the file's, and its size at most what its compression can produce from
// that (equal for stored records, as PyTorch writes them; 1032:1 at most for deflate).
// Otherwise what is wrong, naming the record, for the caller's "damaged" message.
std::string zip_records_problem(const std::filesystem::path& file);

}  // namespace avr::detail
