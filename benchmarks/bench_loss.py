"""Milliseconds per forward + backward of `SupConLoss` on CPU: batch 32 / 256 / 1024, 2 views, 128-d projections,
NT-Xent (no labels) and SupCon (14 classes). Usage: `python benchmarks/bench_loss.py [repeats]` (default 20).
"""
import sys, time
import torch, torch.nn.functional as F
from awcl.pretrain.method import SupConLoss

def bench(batch, labels, repeats, views=2, dim=128, temperature=0.5):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, views, dim, generator=g, requires_grad=True)
    lab = torch.randint(0, 14, (batch,), generator=g) if labels else None
    loss_fn = SupConLoss(temperature)
    def step():
        x.grad = None
        loss_fn(F.normalize(x, dim=-1), lab).backward()
    for _ in range(3): step()                                                    # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    times.sort()
    return 1e3 * times[len(times) // 2], 1e3 * times[0]

def main(repeats=20):
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, CPU')
    print(f'{"batch":>6} {"views":>5} {"dim":>4} {"labels":>7} {"median ms":>10} {"best ms":>8}')
    for batch in (32, 256, 1024):
        for labels in (False, True):
            med, best = bench(batch, labels, repeats)
            print(f'{batch:>6} {2:>5} {128:>4} {"14 cls" if labels else "none":>7} {med:>10.2f} {best:>8.2f}')

if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
