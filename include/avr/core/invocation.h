// The command line this process was started with, recorded by the CLI's main
// so that an artifact can carry the command that rebuilds it (checkpoints keep
// it in their identity; errors about a damaged file quote it).
#pragma once

#include <string>

namespace avr {

// Records argv and the working directory; called once, from main (argc 0
// forgets what was recorded).
void record_invocation(int argc, char** argv);
// "cd '/work/x' && build/bin/avr train --out runs/a", each word shell-quoted
// when it needs it; "" when nothing was recorded (a library caller, a test).
std::string invocation();

}  // namespace avr
