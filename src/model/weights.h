// The checkpoint files of a model directory: model.safetensors, or the shards named by
// model.safetensors.index.json. Tensors stay in the mapped files.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.h"

namespace dn {

class CheckpointFiles {
public:
    // Opens and validates every file. Throws DN_ERR_IO (missing file), DN_ERR_MALFORMED_FILE.
    explicit CheckpointFiles(const std::string &directory);

    // The tensor, or nullptr. Tensors found in no file the index names are absent.
    const TensorView *find(const std::string &name) const;

private:
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
    std::map<std::string, const TensorView *> index_;
};

}  // namespace dn
