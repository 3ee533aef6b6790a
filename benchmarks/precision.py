"""Pretraining throughput on the CPU in float32 and in bfloat16 (`PretrainConfig.precision='bf16'`: channels-last and
`BF16Autocast`), measured in one process, the two alternating `--repeats` times at each `--sizes`, on awcl's own
Learner (`pretrain_learner` + `learn.fit`, as `pretrain_throughput.py`'s kind b). Medians in views/s and the ratio.
bf16 pays on CPUs with AMX or AVX-512-BF16 (`lscpu | grep -o 'amx_bf16\\|avx512_bf16'`), and more at larger sizes.

    OMP_NUM_THREADS=2 python benchmarks/precision.py --sizes 48 64 96 --bs 64
"""
import argparse, math, os, statistics, tempfile, time
from dataclasses import replace
from pathlib import Path
import awcl.core   # first: it quiets fastai's import-time torch.jit warning
import torch
from awcl.data.table import read_frames
from awcl.data.phantoms import make_phantoms
from awcl.pretrain.run import preset_config, pretrain_learner
from pretrain_throughput import FRAMES_PER_SCAN, machine, run_awcl

def cpu_flags() -> str:
    "The bf16-relevant instruction sets this CPU reports."
    try: flags = next(l for l in open('/proc/cpuinfo') if l.startswith('flags')).split()
    except (OSError, StopIteration): return 'unknown'
    return ' '.join(f for f in ('avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile') if f in flags) or 'none of avx512f/avx512_bf16/amx'

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sizes', type=int, nargs='+', default=[48, 64, 96])
    ap.add_argument('--bs', type=int, default=64, help='anchors per step (2*bs views)')
    ap.add_argument('--steps', type=int, default=10, help='timed steps per measurement')
    ap.add_argument('--warmup', type=int, default=2, help='untimed steps before them')
    ap.add_argument('--repeats', type=int, default=2, help='rounds of fp32, bf16; medians are shown')
    ap.add_argument('--lr', type=float, default=1e-3)
    a = ap.parse_args()
    dev = torch.device('cpu')
    print(machine(dev)); print(f'CPU bf16 support: {cpu_flags()}')
    scans = math.ceil((a.warmup + a.steps) * a.bs / FRAMES_PER_SCAN) + 1
    print(f'{"size":>5} {"fp32 views/s":>13} {"bf16 views/s":>13} {"bf16/fp32":>10}')
    with tempfile.TemporaryDirectory() as d:
        make_phantoms(Path(d)/'ph', n_scans=scans, frames_per_scan=FRAMES_PER_SCAN, size=128, seed=0, sweep=True,
                      labelled=0.25, splits=(1.0, 0.0, 0.0))
        df = read_frames(Path(d)/'ph')
        os.environ['AWCL_CACHE'] = d
        for size in a.sizes:
            cfg = preset_config('cpu', size=size, bs=a.bs, epochs=1, method='awcl')
            learns = {p: pretrain_learner(df, replace(cfg, precision=p), path=d, device='cpu') for p in ('fp32', 'bf16')}
            rates = {p: [] for p in learns}
            for _ in range(a.repeats):
                for p, learn in learns.items():
                    s, v, _ = run_awcl(learn, a, dev); rates[p].append(v / s)
            f, b = (statistics.median(rates[p]) for p in ('fp32', 'bf16'))
            print(f'{size:>5} {f:>13.1f} {b:>13.1f} {b / f:>10.2f}', flush=True)

if __name__ == '__main__': main()
