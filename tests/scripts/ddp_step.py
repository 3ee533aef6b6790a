"""One data-parallel AWCL step, checked against the single-process step on the same global batch.

Run by tests/test_distributed.py under `torchrun --standalone --nproc_per_node 2` (gloo, CPU). Every process builds
the same model and the same global batch of views; the reference step runs on the whole batch in one process (no
gathering), the distributed step on this process's slice through DDP and awcl's gathering `ContrastiveLoss`. BatchNorm
is swapped for GroupNorm: per-process BatchNorm statistics differ from the global batch's by design, which would hide
what this checks. Rank 0 writes the comparison to the JSON file named by argv[1].
"""
import copy, json, sys
import torch, torch.nn as nn, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from awcl.pretrain.models import create_model
from awcl.pretrain.method import ContrastiveLoss


def group_norm(m:nn.Module) -> nn.Module:
    "`m` with every BatchNorm2d replaced by a GroupNorm (deterministic initialisation: weight 1, bias 0)."
    for name, c in m.named_children():
        if isinstance(c, nn.BatchNorm2d): setattr(m, name, nn.GroupNorm(8, c.num_features))
        else: group_norm(c)
    return m


def main(out:str):
    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    b = 4 * world                                        # global anchors; each has a partner view
    anchors, partners = torch.rand(b, 1, 32, 32), torch.rand(b, 1, 32, 32)
    labels = torch.tensor([0, 1, 0, 2, 1, 3, 2, 0] * world)[:b]          # anatomy positives across processes
    images = torch.stack([torch.arange(b), torch.arange(b) + b], 1)
    base = group_norm(create_model('resnet18', 'random', seed=0))

    ref = copy.deepcopy(base)                            # the single-process step on the global batch
    scans = torch.stack([torch.arange(b) % 3, (torch.arange(b) + 1) % 3], 1)   # scope: label positives from other scans only
    loss_ref = ContrastiveLoss(0.1, gather=False, scope='other')(ref(torch.cat([anchors, partners])), labels, scans, images)
    loss_ref.backward()

    ddp = DDP(copy.deepcopy(base))                       # this process's slice, gathered in the loss
    k = slice(rank * b // world, (rank + 1) * b // world)
    z = ddp(torch.cat([anchors[k], partners[k]]))
    loss = ContrastiveLoss(0.1, scope='other')(z, labels[k], scans[k], images[k])
    loss.backward()

    # a wrong variant, to show that a loss-only check would pass it: gathering without gradients
    bad = DDP(copy.deepcopy(base))
    zb = bad(torch.cat([anchors[k], partners[k]]))
    a, p = zb[:len(labels[k])], zb[len(labels[k]):]
    ga = [torch.empty_like(a) for _ in range(world)]; gp = [torch.empty_like(p) for _ in range(world)]
    dist.all_gather(ga, a.detach()); dist.all_gather(gp, p.detach())
    ga[rank], gp[rank] = a, p
    from awcl.pretrain.method import SupConLoss
    loss_bad = SupConLoss(0.1, 'other')(torch.stack([torch.cat(ga), torch.cat(gp)], 1), labels, images, scans)
    loss_bad.backward()

    def max_diff(m1, m2): return max(float((p1.grad - p2.grad).abs().max()) for p1, p2 in zip(m1.parameters(), m2.parameters()))
    def scale(m): return max(float(p.grad.abs().max()) for p in m.parameters())
    res = dict(world=world, loss=float(loss), loss_ref=float(loss_ref), loss_bad=float(loss_bad),
               grad_diff=max_diff(ddp.module, ref), grad_diff_bad=max_diff(bad.module, ref), grad_scale=scale(ref))
    if rank == 0:
        with open(out, 'w') as f: json.dump(res, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__': main(sys.argv[1])
