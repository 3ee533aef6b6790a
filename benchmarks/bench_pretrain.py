"""Pretraining throughput: views through forward + backward per second, for each (size, batch) on a device.

    python benchmarks/bench_pretrain.py --device cpu --configs 64:32
    python benchmarks/bench_pretrain.py --device cuda --configs 64:32 64:256 227:32

Each configuration runs one warm-up epoch, then one timed epoch of AWCL pretraining (the full Learner: pairs, views
on the device, ResNet-18, SupCon; bf16 autocast and channels-last on CUDA) on phantoms generated for it.
"""
import argparse, tempfile, time
from pathlib import Path
import torch
from awcl.synthetic import make_phantoms
from awcl.pretrain import preset_config, pretrain_learner, RunStats

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--configs', nargs='+', default=['64:32'], help='SIZE:BATCH pairs')
    ap.add_argument('--steps', type=int, default=10, help='training steps per epoch')
    ap.add_argument('--arch', default='resnet18')
    a = ap.parse_args()
    dev = torch.device(a.device)
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'cpu, {torch.get_num_threads()} threads'
    print(f'torch {torch.__version__} on {name}')
    with tempfile.TemporaryDirectory() as d:
        for c in a.configs:
            size, bs = map(int, c.split(':'))
            n = bs * a.steps
            df = make_phantoms(Path(d)/c.replace(':', '_'), n_scans=max(4, n // 20 + 1), frames_per_scan=20, size=max(128, size),
                               seed=0, splits=(1.0, 0.0, 0.0))
            cfg = preset_config('paper', method='awcl', size=size, bs=bs, epochs=1, arch=a.arch)
            learn = pretrain_learner(df, cfg, device=a.device)
            with learn.no_bar(), learn.no_logging(): learn.fit(1)          # warm-up: cudnn autotune, allocator
            st = RunStats(); learn.add_cb(st)
            if dev.type == 'cuda': torch.cuda.synchronize()
            with learn.no_bar(), learn.no_logging(): learn.fit(1)
            h = st.h
            print(f'size {size:>3} px, batch {bs:>4} anchors ({2 * bs} views): {h["views"] / h["train_seconds"]:8.1f} views/s '
                  f'({len(learn.dls.train)} steps, {h["train_seconds"]:.2f} s)', flush=True)

if __name__ == '__main__': main()
