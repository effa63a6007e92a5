#!/usr/bin/env python3
"""Reference descriptions of what timm's `train.py` builds from its command-line flags, for Loom's parity tests.

    python python/tools/timm_train_reference.py ROWS.json OUT_DIR

ROWS.json maps a row name to {"flags": [...train.py flags...], "processes": N}. For each row this parses the flags
with train.py's defaults (the subset of its options that decide the training; any other flag is refused), then calls
timm's own factories the way train.py does: `resolve_data_config(vars(args), model=model)`, `create_transform` with
the arguments `create_loader` passes for the train and the eval loader, `create_optimizer_v2(model,
**optimizer_kwargs(cfg=args))`, `create_scheduler_v2(optimizer, **scheduler_kwargs(args))` stepped once per epoch,
and the `mixup_args` dict train.py hands to `Mixup`. It writes OUT_DIR/<row>.json with the same `describe_*`
functions as python/loom_describe.py, so Loom's description of its own config compares field by field.

Two liberties, both stated in the output: the transforms are built without the CUDA prefetcher (train.py's default
moves ToTensor, Normalize and random erasing into the prefetcher, and mixes the batch in `FastCollateMixup`, which
takes the same arguments), so ToTensor and Normalize appear as steps; and `--model resnet50_tutorial` (the report's
CIFAR ResNet-50, not a timm model) is timm's `resnet50` with a 3×3 stride-1 stem convolution and no max-pool.
"""
import argparse
import json
import os
import sys

import torch.nn as nn

import timm
from timm.data import Mixup, create_transform, resolve_data_config
from timm.loss import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from timm.optim import create_optimizer_v2, optimizer_kwargs
from timm.scheduler import create_scheduler_v2, scheduler_kwargs

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loom_describe import (describe_loss, describe_mixup, describe_optimizer, describe_schedule,  # noqa: E402
                           describe_transform)


def train_py_parser():
    """The options of timm's train.py that decide what is trained, with train.py's defaults (timm 1.0.x)."""
    p = argparse.ArgumentParser(prog="train.py", allow_abbrev=False)
    p.add_argument("--model", default="resnet50")
    p.add_argument("--num-classes", type=int, default=None)
    p.add_argument("--img-size", type=int, default=None)
    p.add_argument("--input-size", type=int, nargs=3, default=None)
    p.add_argument("--crop-pct", type=float, default=None)
    p.add_argument("--mean", type=float, nargs="+", default=None)
    p.add_argument("--std", type=float, nargs="+", default=None)
    p.add_argument("--interpolation", default="")
    p.add_argument("-b", "--batch-size", type=int, default=128)
    p.add_argument("--opt", default="sgd")
    p.add_argument("--opt-eps", type=float, default=None)
    p.add_argument("--opt-betas", type=float, nargs="+", default=None)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=2e-5)
    p.add_argument("--sched", default="cosine")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--lr-base", type=float, default=0.1)
    p.add_argument("--lr-base-size", type=int, default=256)
    p.add_argument("--lr-base-scale", default="")
    p.add_argument("--warmup-lr", type=float, default=1e-5)
    p.add_argument("--min-lr", type=float, default=0)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--decay-milestones", type=int, nargs="+", default=[90, 180, 270])
    p.add_argument("--decay-epochs", type=float, default=90)
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--warmup-prefix", action="store_true", default=False)
    p.add_argument("--cooldown-epochs", type=int, default=0)
    p.add_argument("--decay-rate", "--dr", type=float, default=0.1)
    p.add_argument("--lr-cycle-decay", type=float, default=0.5)
    p.add_argument("--scale", type=float, nargs="+", default=[0.08, 1.0])
    p.add_argument("--ratio", type=float, nargs="+", default=[3. / 4., 4. / 3.])
    p.add_argument("--hflip", type=float, default=0.5)
    p.add_argument("--vflip", type=float, default=0.)
    p.add_argument("--color-jitter", type=float, default=0.4)
    p.add_argument("--aa", default=None)
    p.add_argument("--reprob", type=float, default=0.)
    p.add_argument("--remode", default="pixel")
    p.add_argument("--recount", type=int, default=1)
    p.add_argument("--mixup", type=float, default=0.0)
    p.add_argument("--cutmix", type=float, default=0.0)
    p.add_argument("--cutmix-minmax", type=float, nargs="+", default=None)
    p.add_argument("--mixup-prob", type=float, default=1.0)
    p.add_argument("--mixup-switch-prob", type=float, default=0.5)
    p.add_argument("--mixup-mode", default="batch")
    p.add_argument("--smoothing", type=float, default=0.1)
    p.add_argument("--train-interpolation", default="random")
    p.add_argument("--seed", type=int, default=42)
    return p


def create_model(args):
    if args.model == "resnet50_tutorial":
        model = timm.create_model("resnet50", num_classes=args.num_classes)
        model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
        return model
    return timm.create_model(args.model, num_classes=args.num_classes)


def transforms(args, data_config):
    """The train and eval transforms with the arguments train.py's create_loader calls pass to create_transform."""
    train_interpolation = args.train_interpolation or data_config["interpolation"]
    common = dict(mean=data_config["mean"], std=data_config["std"], use_prefetcher=False)
    train = create_transform(data_config["input_size"], is_training=True, scale=args.scale, ratio=args.ratio,
                             hflip=args.hflip, vflip=args.vflip, color_jitter=args.color_jitter,
                             auto_augment=args.aa, interpolation=train_interpolation, re_prob=args.reprob,
                             re_mode=args.remode, re_count=args.recount, **common)
    evaluation = create_transform(data_config["input_size"], is_training=False,
                                  interpolation=data_config["interpolation"], crop_pct=data_config["crop_pct"],
                                  **common)
    return train, evaluation


def describe_row(flags, processes):
    args = train_py_parser().parse_args(flags)
    model = create_model(args)
    args.num_classes = model.num_classes
    data_config = resolve_data_config(vars(args), model=model)
    train, evaluation = transforms(args, data_config)
    if not args.lr:  # train.py: the base rate scaled by the global batch
        ratio = args.batch_size * processes / args.lr_base_size
        scale = args.lr_base_scale or ("sqrt" if any(o in args.opt.lower() for o in ("ada", "lamb")) else "linear")
        args.lr = args.lr_base * (ratio ** 0.5 if scale == "sqrt" else ratio)
    optimizer = create_optimizer_v2(model, **optimizer_kwargs(cfg=args))
    optimizer_description = describe_optimizer(optimizer, model)
    scheduler, num_epochs = create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=1)
    mixup = None
    if args.mixup > 0 or args.cutmix > 0 or args.cutmix_minmax is not None:
        mixup = Mixup(mixup_alpha=args.mixup, cutmix_alpha=args.cutmix, cutmix_minmax=args.cutmix_minmax,
                      prob=args.mixup_prob, switch_prob=args.mixup_switch_prob, mode=args.mixup_mode,
                      label_smoothing=args.smoothing, num_classes=args.num_classes)
    loss = SoftTargetCrossEntropy() if mixup else LabelSmoothingCrossEntropy(args.smoothing) if args.smoothing \
        else nn.CrossEntropyLoss()
    return dict(train_transform=describe_transform(train), eval_transform=describe_transform(evaluation),
                optimizer=optimizer_description, lr_per_epoch=describe_schedule(scheduler, optimizer, num_epochs),
                mixup=describe_mixup(mixup), loss=describe_loss(loss),
                mean=[float(v) for v in data_config["mean"]], std=[float(v) for v in data_config["std"]],
                epochs=num_epochs, global_batch=args.batch_size * processes, processes=processes,
                drop_last=True,  # create_loader: drop_last=is_training
                data_config=dict(input_size=list(data_config["input_size"]), crop_pct=data_config["crop_pct"],
                                 interpolation=data_config["interpolation"]),
                origin=dict(timm=timm.__version__, flags=flags, prefetcher=False))


def main():
    parser = argparse.ArgumentParser(description="Describe what timm's train.py builds for each row's flags.")
    parser.add_argument("rows", help="JSON: {row: {flags: [...], processes: N}}")
    parser.add_argument("out", help="folder for <row>.json")
    a = parser.parse_args()
    with open(a.rows) as f:
        rows = json.load(f)
    os.makedirs(a.out, exist_ok=True)
    for name, row in rows.items():
        description = describe_row(row["flags"], row["processes"])
        with open(os.path.join(a.out, f"{name}.json"), "w") as f:
            f.write(json.dumps(description, indent=1, sort_keys=True) + "\n")
        print(f"{name}: {len(description['lr_per_epoch'])} epochs, {description['optimizer']['class']}")


if __name__ == "__main__":
    main()
