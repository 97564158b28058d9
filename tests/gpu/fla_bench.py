"""Times fla's own chunked delta-rule kernels (the peer) on this GPU, on the shape deltanet-cuda-bench
uses for ours: B=1, T=65536, H=16, D=128, bfloat16 inputs, final state written. Prints one line per
kernel, "fla <name> <ms> ms <M tok/s>", which device_run.sh hands to deltanet-cuda-bench for the ratio.
fla's source is not part of this project: device_run.sh finds it in .fla/ (ignored by git).
"""
import sys

import torch
import torch.nn.functional as F

from fla.ops.delta_rule import chunk_delta_rule
from fla.ops.gated_delta_rule import chunk_gated_delta_rule

T, H, D = 65536, 16, 128


def median_ms(fn, reps=10):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return sorted(times)[len(times) // 2]


def main():
    torch.manual_seed(0)
    dev, dt = "cuda", torch.bfloat16
    q = F.normalize(torch.randn(1, T, H, D, device=dev, dtype=torch.float32), dim=-1).to(dt)
    k = F.normalize(torch.randn(1, T, H, D, device=dev, dtype=torch.float32), dim=-1).to(dt)
    v = torch.randn(1, T, H, D, device=dev, dtype=dt)
    beta = torch.rand(1, T, H, device=dev, dtype=dt).sigmoid()
    g = F.logsigmoid(torch.randn(1, T, H, device=dev, dtype=torch.float32) + 4.0)
    with torch.no_grad():
        plain = median_ms(lambda: chunk_delta_rule(q, k, v, beta, output_final_state=True))
        gated = median_ms(lambda: chunk_gated_delta_rule(q, k, v, g, beta, output_final_state=True))
    for name, ms in (("chunk_delta_rule", plain), ("chunk_gated_delta_rule", gated)):
        print(f"fla {name} {ms:.3f} ms {T / ms / 1e3:.2f} M tok/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
