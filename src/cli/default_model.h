// Where the bundled default model (kjv-deltanet-6m) is: installed beside the tool, or in the
// source tree the tool was built from.
#pragma once

#include <string>

namespace dn::cli {

// The directory of the default model. Throws DN_ERR_IO naming the places it looked when none exists.
std::string default_model_dir();

}  // namespace dn::cli
