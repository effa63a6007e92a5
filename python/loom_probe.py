#!/usr/bin/env python3
"""Loom's timing probe for the torch backend: a few training steps of one run's model, at its batch size and image size,
with python/loom_train.py's own model, optimizer, Mixup and loss, on synthetic images; prints seconds per step.

    python -m torch.distributed.run --standalone --nnodes=1 --nproc_per_node=N loom_probe.py \
        --config config.json --image-size S --warmup W --steps K --out result.json

Each process takes its share of the global batch, as in training. The first W steps (CUDA context, cuDNN's autotuning,
allocator growth) are not timed; the next K are, each ended by a device synchronisation. The result is the slowest
rank's mean, since DDP runs at its pace. Data loading, evaluation and a distilling teacher's forward pass are not
timed. Rank 0 writes `result.json` (`status` "succeeded" with `secondsPerStep`, or "failed" with the message).
"""
import argparse
import json
import os
import sys
import time
import traceback

import torch
import torch.distributed as dist
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loom_train  # noqa: E402  (beside this file)


def synchronize(ranks):
    if ranks.use_cuda:
        torch.cuda.synchronize(ranks.device)


def step_times(config, ranks, image_size, warmup, steps):
    """Seconds of each of `warmup + steps` training steps on one fixed synthetic batch."""
    per_process = config["batchSize"] // ranks.world
    model = loom_train.build_model(config["model"]).to(ranks.device)
    net = nn.parallel.DistributedDataParallel(
        model, device_ids=[ranks.local_rank] if ranks.use_cuda else None) if ranks.world > 1 else model
    mixup = loom_train.build_mixup(config) if per_process % 2 == 0 else None  # Mixup pairs a batch with its reverse
    loss_fn = loom_train.build_loss(config, mixup)
    optimizer = loom_train.build_optimizer(model, config["optimizer"])
    generator = torch.Generator().manual_seed(config["seed"] * 1000 + ranks.rank)
    x = torch.randn(per_process, 3, image_size, image_size, generator=generator).to(ranks.device)
    y = torch.randint(0, config["model"]["classes"], (per_process,), generator=generator).to(ranks.device)
    model.train()
    times = []
    for _ in range(warmup + steps):
        synchronize(ranks)
        start = time.perf_counter()
        inputs, target = mixup(x, y) if mixup else (x, y)
        loss = loss_fn(net(inputs), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        synchronize(ranks)
        times.append(time.perf_counter() - start)
    return times


def probe(config, image_size, warmup, steps):
    """The probe's result: the slowest rank's mean seconds per timed step, the devices and the versions."""
    ranks = loom_train.Ranks(config)
    ranks.start()
    batch, world = config["batchSize"], ranks.world
    if batch % world != 0:
        raise loom_train.ConfigError(f"batchSize {batch} is the global batch and must divide by the {world} processes")
    torch.manual_seed(config["seed"])
    times = step_times(config, ranks, image_size, warmup, steps)
    mean = sum(times[warmup:]) / steps
    slowest = torch.tensor([mean], dtype=torch.float64, device=ranks.device)
    if world > 1:
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    devices = loom_train.device_names(ranks.device, world)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return dict(status="succeeded", secondsPerStep=float(slowest.item()), warmupSteps=warmup, timedSteps=steps,
                world=world, perProcessBatch=batch // world, imageSize=image_size, devices=devices,
                torch=torch.__version__, timm=loom_train.timm.__version__)


def main():
    parser = argparse.ArgumentParser(description="Time a few training steps of one Loom torch run.")
    parser.add_argument("--config", required=True, help="config.json written by Loom")
    parser.add_argument("--image-size", type=int, required=True, help="side of the training images after augmentation")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--out", required=True, help="result.json to write (rank 0)")
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.image_size < 1:
        raise SystemExit("--steps must be ≥ 1, --warmup ≥ 0 and --image-size ≥ 1")
    with open(args.config) as f:
        config = json.load(f)
    rank0 = int(os.environ.get("RANK", 0)) == 0
    try:
        result = probe(config, args.image_size, args.warmup, args.steps)
    except Exception as e:
        if rank0:
            loom_train.atomic_write(args.out, json.dumps(dict(status="failed", message=f"{type(e).__name__}: {e}",
                                                              traceback=traceback.format_exc())).encode())
        raise
    if rank0:
        loom_train.atomic_write(args.out, json.dumps(result).encode())
        print(json.dumps(result))


if __name__ == "__main__":
    main()
