"""Pretraining throughput in views/s (a view is one augmented image through the encoder; a step on `bs` anchors is
2*bs views), side by side in one process, one ResNet (`create_model(arch, 'random', 0)`), size, batch, optimiser
(fastai Adam, lr 1e-3, the `cpu` preset's wd/decouple_wd and temperature 0.1) and device:

    a  bare model: forward + backward + step on views already on the device (`ContrastiveLoss`, nothing else): the ceiling
    b  awcl: `pretrain_learner(...)` + `learn.fit` (pairs, views made on the device, RunStats as in `pretrain`)
    c  official style: PNGs decoded with PIL in a torch DataLoader with worker processes, per-sample torchvision
       transforms, two views per sample, collate, then the step of (a)

The kinds alternate (a, b, c) `--repeats` times; each skips `--warmup` steps, then times `--steps`; medians are shown.
(b)'s frame loading and Learner build are left out of its rate and shown as `load_s`. On CUDA, (a) and (c) use
channels-last and bf16 autocast as awcl's Learner does. The last line: `efficiency=b/a speedup_vs_official=b/c
images_per_s=b`. `--profile` also runs (b) under torch.profiler and prints its top ops by self CPU time.

    OMP_NUM_THREADS=2 python benchmarks/pretrain_throughput.py --size 48 --bs 64
"""
import argparse, math, os, platform, statistics, tempfile, time
from contextlib import nullcontext
from pathlib import Path
import awcl.core   # first: it quiets fastai's import-time torch.jit warning
import torch, torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset, RandomSampler
from fastai.callback.core import Callback, CancelFitException
from fastai.optimizer import Adam
from awcl.data.table import read_frames
from awcl.pretrain.models import create_model
from awcl.pretrain.method import ContrastiveLoss
from awcl.pretrain.checkpoints import RunStats
from awcl.pretrain.run import preset_config, pretrain_learner
from awcl.data.phantoms import make_phantoms

FRAMES_PER_SCAN = 30

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def machine(dev) -> str:
    if dev.type == 'cuda': name = torch.cuda.get_device_name(dev)
    else:
        try: name = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
        except (OSError, StopIteration): name = platform.processor() or platform.machine()
    return f'{name}, torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cpus'

class Stepper:
    "One optimiser step on a batch of views, as awcl's Learner takes it (channels-last and bf16 autocast on CUDA)."
    def __init__(self, a, cfg, dev):
        self.dev, self.cuda = dev, dev.type == 'cuda'
        self.model = create_model(a.arch, 'random', cfg.seed).to(dev)
        if self.cuda: self.model = self.model.to(memory_format=torch.channels_last)
        self.opt = Adam(list(self.model.parameters()), lr=a.lr, mom=0.9, sqr_mom=0.999, eps=1e-8, wd=cfg.wd,
                        decouple_wd=cfg.decouple_wd)
        self.loss, self.labels = ContrastiveLoss(cfg.temperature), torch.arange(a.bs, device=dev)
    def __call__(self, x):
        x = x.to(self.dev, non_blocking=True)
        if self.cuda: x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast('cuda', torch.bfloat16) if self.cuda else nullcontext():
            loss = self.loss(self.model(x), self.labels[:x.shape[0] // 2])
        loss.backward(); self.opt.step(); self.opt.zero_grad()

def timed(step, batches, warmup, dev):
    "Apply `step` to each batch; (seconds, views, steps) of those after the first `warmup`."
    n = views = 0; t = time.perf_counter()
    for x in batches:
        step(x); n += 1
        if n == warmup: sync(dev); t = time.perf_counter()
        elif n > warmup: views += x.shape[0]
    sync(dev)
    return time.perf_counter() - t, views, n - warmup

def run_bare(st, a, dev):
    x = torch.randint(0, 256, (2 * a.bs, 1, a.size, a.size), dtype=torch.uint8).to(dev).float().div_(255)
    return timed(st, (x for _ in range(a.warmup + a.steps)), a.warmup, dev)

class TwoViews(Dataset):
    "The official code's style: a PIL image from disk, two independent torchvision views of it."
    def __init__(self, paths, size):
        self.paths = list(paths)
        self.tf = T.Compose([T.RandomResizedCrop(size, scale=(0.25, 1.0)), T.RandomHorizontalFlip(),
                             T.RandomApply([T.ColorJitter(brightness=0.4, contrast=0.4)], p=0.8), T.ToTensor()])
    def __len__(self): return len(self.paths)
    def __getitem__(self, i):
        with Image.open(self.paths[i]) as im: img = im.convert('L')
        return self.tf(img), self.tf(img)

def run_official(st, ds, a, dev):
    n = (a.warmup + a.steps) * a.bs
    dl = DataLoader(ds, a.bs, sampler=RandomSampler(ds, replacement=True, num_samples=n), num_workers=a.workers,
                    drop_last=True, pin_memory=dev.type == 'cuda')
    return timed(st, (torch.cat(b) for b in dl), a.warmup, dev)   # worker start-up falls in the warm-up steps

class StopAfter(Callback):
    "Times the training batches after `warmup` (end of batch to end of batch) and cancels the fit after `steps` more."
    order = 100   # after every awcl and fastai callback
    def __init__(self, warmup, steps, dev): self.warmup, self.steps, self.dev = warmup, steps, dev
    def before_fit(self): self.n, self.views, self.seconds, self.t = 0, 0, None, time.perf_counter()
    def after_batch(self):
        if not self.training: return
        self.n += 1
        if self.n == self.warmup: sync(self.dev); self.t = time.perf_counter()
        elif self.n > self.warmup: self.views += self.xb[0].shape[0]
        if self.n == self.warmup + self.steps:
            sync(self.dev); self.seconds = time.perf_counter() - self.t
            raise CancelFitException()

def run_awcl(learn, a, dev):
    stop = StopAfter(a.warmup, a.steps, dev)
    epochs = math.ceil((a.warmup + a.steps) / len(learn.dls.train))   # 1 unless --scans is too small
    with learn.no_bar(), learn.no_logging(): learn.fit(epochs, a.lr, cbs=[stop])
    if stop.seconds is None: raise SystemExit(f'(b) stopped after {stop.n} steps: too few frames')
    return stop.seconds, stop.views, stop.n - a.warmup

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--size', type=int, default=48)
    ap.add_argument('--bs', type=int, default=64, help='anchors per step (2*bs views)')
    ap.add_argument('--steps', type=int, default=30, help='timed steps per measurement')
    ap.add_argument('--warmup', type=int, default=3, help='untimed steps before them')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--arch', default='resnet18')
    ap.add_argument('--workers', type=int, default=2, help='DataLoader worker processes of (c)')
    ap.add_argument('--threads', type=int, default=len(os.sched_getaffinity(0)), help='torch intra-op threads')
    ap.add_argument('--repeats', type=int, default=1, help='rounds of a, b, c; medians are shown')
    ap.add_argument('--scans', type=int, default=None, help=f'phantom scans of {FRAMES_PER_SCAN} frames '
                    '(default: enough for warmup+steps batches)')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--profile', action='store_true', help='also profile (b) and print its top 15 ops by self CPU time')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    print(machine(dev))
    scans = a.scans or math.ceil((a.warmup + a.steps) * a.bs / FRAMES_PER_SCAN) + 1
    cfg = preset_config('cpu', size=a.size, bs=a.bs, epochs=1, method='awcl', arch=a.arch)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        make_phantoms(Path(d)/'ph', n_scans=scans, frames_per_scan=FRAMES_PER_SCAN, size=128, seed=0, sweep=True,
                      labelled=0.25, splits=(1.0, 0.0, 0.0))
        df = read_frames(Path(d)/'ph')
        gen_s = time.perf_counter() - t
        os.environ['AWCL_CACHE'] = d    # a cold frame cache, gone with the phantoms: load_s is the first-run cost
        t = time.perf_counter()
        learn = pretrain_learner(df, cfg, path=d, device=a.device)   # decodes + letterboxes every frame (frame cache)
        learn.add_cb(RunStats())                                     # as `pretrain` does: a loss.item() per step
        load_s = time.perf_counter() - t
        print(f'{len(df)} phantom frames ({scans} scans) in {gen_s:.1f} s; size {a.size}, bs {a.bs} ({2 * a.bs} views), '
              f'{a.arch}, {a.device}, warmup {a.warmup}, steps {a.steps}, workers {a.workers}, repeats {a.repeats}')
        st, ds = Stepper(a, cfg, dev), TwoViews(df['path'], a.size)
        kinds = {'a bare model': lambda: run_bare(st, a, dev), 'b awcl pretrain': lambda: run_awcl(learn, a, dev),
                 'c official-style': lambda: run_official(st, ds, a, dev)}
        res = {k: [] for k in kinds}
        for _ in range(a.repeats):
            for k, f in kinds.items(): res[k].append(f())
        rate = {}
        print(f'{"kind":<18} {"views/s":>9} {"seconds":>8} {"steps":>6}')
        for k, rs in res.items():
            rate[k[0]] = statistics.median(v / s for s, v, _ in rs)
            print(f'{k:<18} {rate[k[0]]:>9.1f} {statistics.median(s for s, _, _ in rs):>8.2f} {rs[0][2]:>6}')
        print(f'load_s={load_s:.2f} (b: frame loading + Learner build, not in its rate)')
        if a.profile:
            from torch.profiler import profile, ProfilerActivity
            acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == 'cuda' else [])
            with profile(activities=acts) as prof: run_awcl(learn, a, dev)
            print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15))
    print(f'efficiency={rate["b"] / rate["a"]:.3f} speedup_vs_official={rate["b"] / rate["c"]:.3f} '
          f'images_per_s={rate["b"]:.1f}')

if __name__ == '__main__': main()
