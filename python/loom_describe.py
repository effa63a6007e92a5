#!/usr/bin/env python3
"""What the torch trainer builds for one run, as JSON: the train and eval transforms, the optimizer and its parameter
groups, the learning rate of every epoch, Mixup and the loss, the mean and std.

    python loom_describe.py --config config.json

reads the `config.json` Loom writes for a torch run and builds each object with python/loom_train.py's own
functions (`build_transform`, `build_model`, `build_optimizer`, `build_scheduler`, `build_mixup`, `build_loss`), then
prints their description. python/tools/timm_train_reference.py describes what timm's `train.py` builds from its
command-line flags with the same `describe_*` functions, so the two descriptions compare field by field
(Tests/ExperimentsTests/TimmParityTests.swift, docs/methods.md §9.1).
"""
import argparse
import json
import os
import sys

from PIL import Image
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loom_train  # noqa: E402  (beside this file)

_PIL_NAMES = {Image.NEAREST: "nearest", Image.BILINEAR: "bilinear", Image.BICUBIC: "bicubic",
              Image.LANCZOS: "lanczos", Image.BOX: "box", Image.HAMMING: "hamming"}


def interpolation_name(mode):
    """An interpolation as a name; timm's random choice as the sorted list of its candidates."""
    if isinstance(mode, (tuple, list)):
        return sorted(interpolation_name(m) for m in mode)
    if isinstance(mode, T.InterpolationMode):
        return mode.value
    if isinstance(mode, str):
        return mode
    return _PIL_NAMES.get(mode, str(mode))


def _floats(values):
    return [float(v) for v in values]


def _size(size):
    return [int(s) for s in size] if isinstance(size, (tuple, list)) else [int(size), int(size)]


def describe_timm_ops(transform):
    """timm's AutoAugment (a list of sub-policies) or RandAugment (ops and a layer count): the ops' names,
    probabilities and levels, and the fill, resampling and translation every op shares."""
    policy = getattr(transform, "policy", None)
    subs = policy if policy is not None else [transform.ops]
    first = subs[0][0]
    out = dict(op="AutoAugment" if policy is not None else "RandAugment", implementation="timm",
               ops=[[[o.name, float(o.prob), float(o.magnitude)] for o in sub] for sub in subs],
               fill=list(first.kwargs["fillcolor"]) if isinstance(first.kwargs["fillcolor"], (tuple, list))
               else first.kwargs["fillcolor"],
               interpolation=interpolation_name(first.kwargs["resample"]),
               translate_const=first.hparams.get("translate_const"),
               magnitude_std=float(first.magnitude_std))
    if policy is None:
        out["num_layers"] = transform.num_layers
    return out


def describe_step(t):
    """One transform as a dict of the settings that decide what it does."""
    name = type(t).__name__
    if name == "RandomResizedCropAndInterpolation" or isinstance(t, T.RandomResizedCrop):
        return dict(op="RandomResizedCrop", size=_size(t.size), scale=_floats(t.scale), ratio=_floats(t.ratio),
                    interpolation=interpolation_name(t.interpolation))
    if isinstance(t, T.RandomHorizontalFlip):
        return dict(op="RandomHorizontalFlip", p=float(t.p))
    if isinstance(t, T.RandomCrop):
        return dict(op="RandomCrop", size=_size(t.size), padding=t.padding, fill=t.fill)
    if isinstance(t, T.ColorJitter):
        return dict(op="ColorJitter", **{k: _floats(getattr(t, k)) if getattr(t, k) is not None else None
                                         for k in ("brightness", "contrast", "saturation", "hue")})
    if isinstance(t, T.AutoAugment):
        return dict(op="AutoAugment", implementation="torchvision", policy=t.policy.value,
                    interpolation=interpolation_name(t.interpolation), fill=t.fill)
    if name in ("AutoAugment", "RandAugment") and type(t).__module__.startswith("timm"):
        return describe_timm_ops(t)
    if isinstance(t, T.Resize):
        return dict(op="Resize", size=t.size if isinstance(t.size, int) else list(t.size),
                    interpolation=interpolation_name(t.interpolation), antialias=t.antialias)
    if isinstance(t, T.CenterCrop):
        return dict(op="CenterCrop", size=_size(t.size))
    if name in ("ToTensor", "MaybeToTensor"):
        return dict(op="ToTensor")
    if isinstance(t, T.Normalize):
        return dict(op="Normalize", mean=_floats(t.mean), std=_floats(t.std))
    if name == "RandomErasing":
        return dict(op="RandomErasing", p=float(t.probability), mode=t.mode, min_count=t.min_count,
                    max_count=t.max_count)
    return dict(op=name)


def describe_transform(compose):
    return [describe_step(t) for t in compose.transforms]


def describe_optimizer(optimizer, model):
    """The optimizer's class and its parameter groups: each group's settings (as the optimizer applies them), the
    names of its parameters, sorted, and their number of elements."""
    names = {id(p): n for n, p in model.named_parameters()}
    groups = []
    for g in optimizer.param_groups:
        settings = {k: (_floats(v) if isinstance(v, (tuple, list)) else v) for k, v in g.items()
                    if k in ("lr", "weight_decay", "momentum", "nesterov", "dampening", "betas", "eps")}
        settings["params"] = sorted(names[id(p)] for p in g["params"])
        settings["numel"] = sum(p.numel() for p in g["params"])
        groups.append(settings)
    return {"class": type(optimizer).__name__, "groups": groups}


def describe_schedule(scheduler, optimizer, epochs):
    """The learning rate of each epoch as train.py sees it: the scheduler stepped to the epoch before it trains
    (every group's rate is the same; a difference is an error)."""
    rates = []
    for epoch in range(epochs):
        scheduler.step(epoch)
        lrs = {g["lr"] for g in optimizer.param_groups}
        if len(lrs) != 1:
            raise ValueError(f"the parameter groups have different rates at epoch {epoch}: {sorted(lrs)}")
        rates.append(float(lrs.pop()))
    return rates


def describe_mixup(mixup):
    if mixup is None:
        return None
    return dict(mixup_alpha=float(mixup.mixup_alpha), cutmix_alpha=float(mixup.cutmix_alpha),
                cutmix_minmax=mixup.cutmix_minmax, prob=float(mixup.mix_prob), switch_prob=float(mixup.switch_prob),
                mode=mixup.mode, label_smoothing=float(mixup.label_smoothing), num_classes=mixup.num_classes)


def describe_loss(loss):
    smoothing = getattr(loss, "smoothing", getattr(loss, "label_smoothing", None))
    return {"class": type(loss).__name__, "smoothing": None if smoothing is None else float(smoothing)}


def describe_config(config):
    """Everything loom_train.py builds for `config` that decides the training, without reading any data."""
    model = loom_train.build_model(config["model"])
    train = loom_train.build_transform(config["augment"], config["normalize"])
    evaluation = loom_train.build_transform(config["eval"], config["normalize"])
    optimizer = loom_train.build_optimizer(model, config["optimizer"])
    optimizer_description = describe_optimizer(optimizer, model)
    scheduler = loom_train.build_scheduler(optimizer, config["schedule"], config["epochs"])
    mixup = loom_train.build_mixup(config)
    return dict(train_transform=describe_transform(train), eval_transform=describe_transform(evaluation),
                optimizer=optimizer_description,
                lr_per_epoch=describe_schedule(scheduler, optimizer, config["epochs"]),
                mixup=describe_mixup(mixup), loss=describe_loss(loom_train.build_loss(config, mixup)),
                mean=_floats(config["normalize"]["mean"]), std=_floats(config["normalize"]["std"]),
                epochs=config["epochs"], global_batch=config["batchSize"], processes=config["processes"],
                drop_last=config["dropLast"])


def main():
    parser = argparse.ArgumentParser(description="Describe what loom_train.py builds for a Loom config.json.")
    parser.add_argument("--config", required=True, help="config.json written by Loom")
    args = parser.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    if config.get("format") != loom_train.FORMAT:
        raise SystemExit(f"{args.config}: format {config.get('format')!r}, this describer reads {loom_train.FORMAT!r}")
    try:
        print(json.dumps(describe_config(config), indent=1, sort_keys=True))
    except loom_train.ConfigError as e:
        raise SystemExit(f"{args.config}: {e}")


if __name__ == "__main__":
    main()
