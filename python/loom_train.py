#!/usr/bin/env python3
"""Loom's PyTorch/timm trainer: one resolved Loom Experiment, trained with DDP under torchrun.

Loom writes the resolved Experiment as JSON (`config.json`) and launches

    python -m torch.distributed.run --standalone --nproc_per_node=N loom_train.py --config config.json [--resume last.pth.tar]

(gloo on CPU, NCCL on GPU). Rank 0 writes, into the config's output folder:

- `args.yaml`: the resolved arguments (keys sorted, as timm's train.py writes them);
- `summary.csv`: one row per epoch with timm's columns epoch,train_loss,eval_loss,eval_top1,eval_top5,lr;
- `progress.jsonl`: batch progress and per-epoch throughput, which Loom follows for its progress bar;
- `last.pth.tar`: a timm-style checkpoint after every epoch (epoch, arch, state_dict, optimizer, version 2, args, metric);
- the final weights as safetensors under timm's state-dict names, a probe of logits for Loom's parity check,
  and `status.json` ("succeeded", or "failed" with the traceback).

Only the standard library, torch, torchvision (a timm dependency), timm and safetensors are used.
python/README.md and Loom's README ("The torch backend") describe how every Experiment field maps.
"""
import argparse
import csv
import json
import os
import random
import time
import traceback

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageOps
from safetensors.torch import load_file, save_file
from torchvision import transforms as T
from torchvision.transforms import functional as TF

import timm
from timm.data import Mixup
from timm.data import auto_augment as timm_auto_augment
from timm.data.auto_augment import auto_augment_transform, rand_augment_transform
from timm.data.random_erasing import RandomErasing
from timm.data.transforms import RandomResizedCropAndInterpolation
from timm.loss import SoftTargetCrossEntropy
from timm.models.resnet import BasicBlock, Bottleneck, ResNet, make_blocks
from timm.models.vision_transformer import VisionTransformer
from timm.optim import create_optimizer_v2
from timm.scheduler import create_scheduler_v2

FORMAT = "loom-torch-1"


class ConfigError(Exception):
    """A config this trainer cannot run; the message names the field."""


# ----------------------------------------------------------------------------------------------------------------------
# Data


class CIFARBinary(torch.utils.data.Dataset):
    """The official binary CIFAR files, read as Loom reads them (docs/methods.md §1.1): label byte(s), then R, G, B planes."""

    def __init__(self, directory, split, hundred):
        if hundred:
            files, label_offset, header = [("train.bin" if split == "train" else "test.bin")], 1, 2
        else:
            files = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
            label_offset, header = 0, 1
        record = header + 3072
        chunks = []
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                raise ConfigError(f"CIFAR file {path} is missing")
            with open(path, "rb") as f:
                raw = f.read()
            if len(raw) % record != 0:
                raise ConfigError(f"CIFAR file {path} has {len(raw)} bytes, not a multiple of {record}")
            chunks.append(torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, record))
        table = torch.cat(chunks)
        self.labels = table[:, label_offset].long().tolist()
        self.pixels = table[:, header:].reshape(-1, 3, 32, 32).contiguous()
        self.transform = None

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = TF.to_pil_image(self.pixels[i])
        return (self.transform(image) if self.transform else image), self.labels[i]


class PNGFolder(torch.utils.data.Dataset):
    """`root/<class>/*.png` in Loom's order: classes and files sorted by code point, hidden entries skipped."""

    def __init__(self, root):
        if not os.path.isdir(root):
            raise ConfigError(f"image folder {root} does not exist")
        classes = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
        if not classes:
            raise ConfigError(f"image folder {root} has no class sub-folders")
        self.samples = []
        for label, name in enumerate(classes):
            folder = os.path.join(root, name)
            files = sorted(f for f in os.listdir(folder) if not f.startswith(".") and f.lower().endswith(".png"))
            self.samples += [(os.path.join(folder, f), label) for f in files]
        self.classes = classes
        self.transform = None

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        with Image.open(path) as im:
            image = im.convert("RGB")
        return (self.transform(image) if self.transform else image), label


def datasets(data):
    kind = data["kind"]
    if kind in ("cifar10", "cifar100"):
        hundred = kind == "cifar100"
        return CIFARBinary(data["train"], "train", hundred), CIFARBinary(data["test"], "test", hundred)
    if kind == "imageFolder":
        return PNGFolder(data["train"]), PNGFolder(data["test"])
    raise ConfigError(f"data.kind '{kind}' is not one of cifar10, cifar100, imageFolder")


class Cutout:
    """Loom's Cutout (DeVries & Taylor) on the normalised tensor: a size×size square around a uniform centre,
    clipped to the image, set to 0 (timm has no Cutout)."""

    def __init__(self, size):
        self.size = size

    def __call__(self, x):
        _, h, w = x.shape
        cy, cx = random.randrange(h), random.randrange(w)
        y0, y1 = max(0, cy - self.size // 2), min(h, cy + self.size // 2)
        x0, x1 = max(0, cx - self.size // 2), min(w, cx + self.size // 2)
        if y0 < y1 and x0 < x1:
            x = x.clone()
            x[:, y0:y1, x0:x1] = 0
        return x


def _posterize(img, bits_to_keep, **_):
    """timm's posterize, except that keeping 0 bits gives a black image (as PIL once did, and as Loom does) instead
    of the ValueError current Pillow raises for timm's v0 Posterize at levels 0–2."""
    if bits_to_keep >= 8:
        return img
    if bits_to_keep <= 0:
        return Image.new(img.mode, img.size, 0)
    return ImageOps.posterize(img, bits_to_keep)


for _name in ("Posterize", "PosterizeIncreasing", "PosterizeOriginal"):
    timm_auto_augment.NAME_TO_OP[_name] = _posterize


def timm_hparams(size):
    """Loom's timm-convention settings for AutoAugment v0/v0r and RandAugment: bilinear resampling, grey fill 128,
    translate constant int(0.45 · size)."""
    return dict(translate_const=int(0.45 * size), translate_pct=0.45, img_mean=(128, 128, 128),
                interpolation=Image.BILINEAR)


def check_normalize(normalize):
    """config.json's `normalize`: three means and three stds, every std > 0 (the experiment's `normalize:` choice, or
    the dataset's own statistics). Loom's checker enforces the same; a hand-edited config fails here, naming the field."""
    mean, std = normalize.get("mean"), normalize.get("std")
    if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == 3 and len(std) == 3):
        raise ConfigError(f"normalize needs 3 values of mean and of std, got mean {mean!r}, std {std!r}")
    if any(not s > 0 for s in std):
        raise ConfigError(f"normalize.std must be > 0 per channel, got {std!r}")


RESAMPLE = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC,
            "lanczos": T.InterpolationMode.LANCZOS}


def interpolation(op):
    """A resize op's filter: bilinear unless the op names one (a pretrained_cfg's `bicubic`, as timm resizes)."""
    name = op.get("interpolation", "bilinear")
    if name not in RESAMPLE:
        raise ConfigError(f"resize interpolation '{name}' is unknown to this trainer (it knows {', '.join(RESAMPLE)})")
    return RESAMPLE[name]


def build_transform(ops, normalize):
    """The image ops in Loom's order, then ToTensor + Normalize, then the ops Loom runs on the normalised image."""
    check_normalize(normalize)
    image_steps, planar = [], []
    for op in ops:
        name = op["op"]
        if name == "randomCrop":
            image_steps.append(T.RandomCrop(op["size"], padding=op["padding"], fill=0))
        elif name == "horizontalFlip":
            image_steps.append(T.RandomHorizontalFlip())
        elif name == "randomResizedCrop":
            image_steps.append(RandomResizedCropAndInterpolation(op["size"], interpolation="bilinear"))
        elif name == "resize":
            image_steps.append(T.Resize((op["size"], op["size"]), interpolation=interpolation(op), antialias=True))
        elif name == "resizeShorter":  # timm's eval resize: the shorter side to size, aspect kept
            image_steps.append(T.Resize(op["size"], interpolation=interpolation(op), antialias=True))
        elif name == "centerCrop":
            image_steps.append(T.CenterCrop(op["size"]))
        elif name == "colorJitter":
            image_steps.append(T.ColorJitter(op["brightness"], op["contrast"], op["saturation"], op["hue"]))
        elif name == "autoAugment":
            if op["policy"] == "cifar10":
                image_steps.append(T.AutoAugment(T.AutoAugmentPolicy.CIFAR10))
            else:
                image_steps.append(auto_augment_transform(op["policy"], timm_hparams(op["size"])))
        elif name == "randAugment":
            image_steps.append(rand_augment_transform(op["config"], timm_hparams(op["size"])))
        elif name == "trivialAugment":
            image_steps.append(T.TrivialAugmentWide())
        elif name == "cutout":
            planar.append(Cutout(op["size"]))
        elif name == "randomErasing":
            planar.append(RandomErasing(probability=op["p"], mode=op["mode"], min_count=op["count"],
                                        max_count=op["count"], device="cpu"))
        else:
            raise ConfigError(f"augment op '{name}' is unknown to this trainer")
    return T.Compose(image_steps + [T.ToTensor(), T.Normalize(normalize["mean"], normalize["std"])] + planar)


def seed_worker(worker_id):
    seed = torch.initial_seed() % 2**32
    random.seed(seed)


# ----------------------------------------------------------------------------------------------------------------------
# Models


class LoomResNet(ResNet):
    """timm's ResNet with any number of stages (timm's forward names layer1…layer4 explicitly)."""

    def forward_features(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        for i in range(1, self.stage_count + 1):
            x = getattr(self, f"layer{i}")(x)
        return x


def build_model(m):
    """A timm model whose state-dict names are the ones Loom's ResNet/ViT use."""
    if m["arch"] == "resnet":
        block = BasicBlock if m["block"] == "basic" else Bottleneck
        attn = {"none": None, "se": "se", "cbam": "cbam"}[m["attention"]]
        block_args = dict(attn_layer=attn) if attn else {}
        layers, channels, width = tuple(m["layers"]), tuple(m["channels"]), m["stemWidth"]
        model = LoomResNet(block=block, layers=layers, channels=channels, num_classes=m["classes"], block_args=block_args)
        # timm's plain stem is fixed at 64 channels and dilates stages past output stride 32; Loom's stem has
        # `stemWidth` channels and every later stage strides by 2. Same classes, same names.
        if m["stem"] == "cifar":
            model.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
            model.maxpool = nn.Identity()
        else:
            model.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        model.bn1 = nn.BatchNorm2d(width)
        stages, _ = make_blocks((block,) * len(layers), channels, layers, width, output_stride=2**30,
                                act_layer=nn.ReLU, norm_layer=nn.BatchNorm2d, aa_layer=None, **block_args)
        for name, stage in stages:
            setattr(model, name, stage)
        model.stage_count = len(layers)
        model.init_weights(zero_init_last=True)
        return model
    if m["arch"] == "vit":
        return VisionTransformer(img_size=m["image"], patch_size=m["patch"], num_classes=m["classes"],
                                 embed_dim=m["dim"], depth=m["depth"], num_heads=m["heads"], mlp_ratio=m["mlpRatio"],
                                 qkv_bias=m["qkvBias"], class_token=True, global_pool="token")
    raise ConfigError(f"model.arch '{m['arch']}' is not resnet or vit")


def load_weights(model, path):
    """Loads a safetensors file with timm names (Loom's or timm's); BN `num_batches_tracked` may be absent."""
    if not os.path.exists(path):
        raise ConfigError(f"weights file {path} does not exist")
    state = load_file(path)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ConfigError(f"{path} does not fit the model: missing {missing[:5]}, unexpected {unexpected[:5]}")


def export_state(model):
    """The state dict as Loom reads it: float32, contiguous, without `num_batches_tracked`."""
    return {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


# ----------------------------------------------------------------------------------------------------------------------
# Optimiser and schedule


def build_optimizer(model, o):
    """timm's optimizer factory on Loom's parameter groups: every parameter of rank ≤ 1 skips weight decay (Loom's
    rule; timm's own filter also exempts ViT's pos_embed/cls_token, Loom decays them)."""
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    groups = [dict(params=no_decay, weight_decay=0.0), dict(params=decay, weight_decay=o["weightDecay"])]
    name = o["name"]
    if name == "sgd":  # timm's 'sgd' is Nesterov; 'momentum' is plain momentum.
        return create_optimizer_v2(groups, opt="sgd" if o["nesterov"] else "momentum", lr=o["lr"],
                                   weight_decay=o["weightDecay"], momentum=o["momentum"])
    if name == "adamw":
        return create_optimizer_v2(groups, opt="adamw", lr=o["lr"], weight_decay=o["weightDecay"],
                                   betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    if name == "lion":
        return create_optimizer_v2(groups, opt="lion", lr=o["lr"], weight_decay=o["weightDecay"],
                                   betas=(o["beta1"], o["beta2"]))
    raise ConfigError(f"optimizer.name '{name}' is not sgd, adamw or lion")


def build_scheduler(optimizer, s, epochs):
    """timm's scheduler factory with Loom's meaning: multiStep milestones shift by one (timm applies milestone m at
    epoch m−1, Loom at m), and `.constant` is a step schedule with rate 1 (timm has no constant schedule)."""
    common = dict(num_epochs=max(epochs, 1), warmup_epochs=s["warmupEpochs"], warmup_lr=s["warmupLR"],
                  cooldown_epochs=0, warmup_prefix=False)
    name = s["name"]
    if name == "cosine":
        sched, _ = create_scheduler_v2(optimizer, sched="cosine", min_lr=s["minLR"], **common)
    elif name == "step":
        sched, _ = create_scheduler_v2(optimizer, sched="step", decay_epochs=s["decayEpochs"],
                                       decay_rate=s["decayRate"], **common)
    elif name == "multiStep":
        sched, _ = create_scheduler_v2(optimizer, sched="multistep", decay_milestones=[m + 1 for m in s["milestones"]],
                                       decay_rate=s["decayRate"], **common)
    elif name == "constant":
        sched, _ = create_scheduler_v2(optimizer, sched="step", decay_epochs=max(epochs, 1) + 1, decay_rate=1.0,
                                       **common)
    else:
        raise ConfigError(f"schedule.name '{name}' is not constant, cosine, step or multiStep")
    return sched


def check_schedule(sched, optimizer, table):
    """Loom computed the learning rate of every epoch; timm's scheduler must agree before any training starts. Read
    through timm's public API (`step(epoch)` sets each param group's lr); the groups' rates are put back after."""
    kept = [g["lr"] for g in optimizer.param_groups]
    for t, expected in enumerate(table):
        sched.step(t)
        got = optimizer.param_groups[0]["lr"]
        if abs(got - expected) > 1e-6 * max(abs(expected), 1e-8) + 1e-12:
            raise ConfigError(f"timm's scheduler gives lr {got} at epoch {t}, Loom's schedule {expected}")
    for g, lr in zip(optimizer.param_groups, kept):
        g["lr"] = lr


# ----------------------------------------------------------------------------------------------------------------------
# Output files (rank 0)


def atomic_write(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_args_yaml(path, config):
    def flat(prefix, value, out):
        if isinstance(value, dict):
            for k, v in value.items():
                flat(f"{prefix}{k}.", v, out)
        else:
            out[prefix[:-1]] = value
        return out

    args = flat("", {k: v for k, v in config.items() if k != "loom"}, {})
    try:
        import yaml  # a timm dependency
        text = yaml.safe_dump(args, sort_keys=True)
    except ImportError:
        text = json.dumps(args, sort_keys=True, indent=1) + "\n"
    atomic_write(path, text.encode())


def update_summary(path, row, start_epoch):
    """Appends one epoch as timm's utils.update_summary does; on resume first drops rows at or after the restart."""
    fields = ["epoch", "train_loss", "eval_loss", "eval_top1", "eval_top5", "lr"]
    rows = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r.get("epoch", "").isdigit() and int(r["epoch"]) < start_epoch]
    rows.append({k: row[k] for k in fields})
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


class Progress:
    """progress.jsonl: batch lines (at most one a second, and the last of each epoch) and epoch throughput."""

    def __init__(self, path, enabled):
        self.path, self.enabled, self.last = path, enabled, 0.0

    def write(self, record, force=False):
        if not self.enabled:
            return
        now = time.time()
        if not force and now - self.last < 1.0:
            return
        self.last = now
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")


# ----------------------------------------------------------------------------------------------------------------------
# Training


class Ranks:
    """This process's place in the DDP world (torchrun's environment) and its device."""

    def __init__(self, config):
        self.rank, self.world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        self.local_rank = int(os.environ.get("LOCAL_RANK", 0))
        self.use_cuda = torch.cuda.is_available() and config.get("device", "auto") != "cpu"
        self.device = torch.device(f"cuda:{self.local_rank}" if self.use_cuda else "cpu")
        self.main = self.rank == 0

    def start(self):
        """Binds the GPU and joins the process group (gloo on CPU, NCCL on GPU) when there is more than one process."""
        if self.use_cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group(backend="nccl" if self.use_cuda else "gloo")


def device_names(device, world):
    """Every rank's device by name (rank order), for the run's provenance: a GPU's model or the CPU."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = "cpu"
    if world == 1:
        return [name]
    names = [None] * world
    dist.all_gather_object(names, name)
    return names


def reduce_sum(values, device, world):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if world > 1:
        dist.all_reduce(t)
    return t.tolist()


def build_loaders(config, ranks, per_process):
    """The datasets with their transforms, the train sampler and both loaders (each rank tests every world-th image)."""
    seed, world, rank = config["seed"], ranks.world, ranks.rank
    train_set, test_set = datasets(config["data"])
    train_set.transform = build_transform(config["augment"], config["normalize"])
    test_set.transform = build_transform(config["eval"], config["normalize"])
    workers = config.get("workers", 0 if not ranks.use_cuda else min(8, (os.cpu_count() or 2) // max(1, int(os.environ.get("LOCAL_WORLD_SIZE", 1)))))
    sampler = torch.utils.data.distributed.DistributedSampler(
        train_set, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=config["dropLast"])
    generator = torch.Generator().manual_seed(seed * 1000 + rank)
    train_loader = torch.utils.data.DataLoader(
        train_set, batch_size=per_process, sampler=sampler, num_workers=workers, drop_last=config["dropLast"],
        worker_init_fn=seed_worker, generator=generator, pin_memory=ranks.use_cuda, persistent_workers=workers > 0)
    test_indices = list(range(rank, len(test_set), world))
    test_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(test_set, test_indices),
                                              batch_size=max(per_process, 100), shuffle=False, num_workers=workers)
    return test_set, sampler, train_loader, test_loader


def build_mixup(config):
    """timm's Mixup in batch mode with the label smoothing folded into its soft targets, as train.py builds it from
    `--mixup/--cutmix/--mixup-prob/--mixup-switch-prob/--smoothing`; None without `mix:`."""
    mix = config.get("mix")
    if not mix:
        return None
    return Mixup(mixup_alpha=mix["mixupAlpha"], cutmix_alpha=mix["cutmixAlpha"], prob=mix["prob"],
                 switch_prob=mix["switchProb"], mode="batch", label_smoothing=config["labelSmoothing"],
                 num_classes=config["model"]["classes"])


def build_loss(config, mixup):
    """The training loss before distillation: soft-target cross-entropy under Mixup (the smoothing is in the targets),
    else cross-entropy with label smoothing."""
    if mixup:
        return SoftTargetCrossEntropy()
    return nn.CrossEntropyLoss(label_smoothing=config["labelSmoothing"])


def build_criterion(config, device):
    """Mixup (or None) and the training loss of (logits, target, images): cross-entropy with label smoothing, or soft
    targets under Mixup, blended with the teacher's temperature-scaled KL divergence when distilling."""
    teacher, kd = None, config.get("distillation")
    if kd:
        teacher = build_model(kd["teacher"])
        load_weights(teacher, kd["weights"])
        teacher.to(device).eval()
    mixup = build_mixup(config)
    loss_fn = build_loss(config, mixup)

    def criterion(logits, target, x):
        loss = loss_fn(logits, target)
        if teacher is not None:
            with torch.no_grad():
                t_logits = teacher(x)
            temp, alpha = kd["temperature"], kd["alpha"]
            kl = F.kl_div(F.log_softmax(logits / temp, dim=1), F.softmax(t_logits / temp, dim=1),
                          reduction="batchmean") * temp * temp
            loss = (1 - alpha) * loss + alpha * kl
        return loss

    return mixup, criterion


def train_one_epoch(epoch, model, loader, optimizer, criterion, mixup, clip, progress, ranks):
    """One pass over this rank's shard; returns the summed loss, images and seconds over all ranks."""
    model.train()
    batches, loss_sum, seen, seconds = len(loader), 0.0, 0, 0.0
    tick = time.time()
    for i, (x, y) in enumerate(loader):
        x, y = x.to(ranks.device, non_blocking=True), y.to(ranks.device, non_blocking=True)
        if mixup:
            x, target = mixup(x, y)
        else:
            target = y
        logits = model(x)
        loss = criterion(logits, target, x)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged: loss {loss.item()} at epoch {epoch + 1}, batch {i + 1}; "
                                     "try a lower learning rate, warmup, or gradient clipping")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        now = time.time()
        dt, tick = now - tick, now
        seconds += dt
        loss_sum += loss.item() * y.shape[0]
        seen += y.shape[0]
        progress.write(dict(event="batch", epoch=epoch, batch=i, of=batches, loss=loss.item(),
                            images_per_second=y.shape[0] * ranks.world / max(dt, 1e-9)), force=i + 1 == batches)
    return reduce_sum([loss_sum, seen, seconds], ranks.device, ranks.world)


def validate(model, loader, ranks):
    """Plain cross-entropy, top-1 and top-5 over the whole test set (each rank takes every world-th image)."""
    model.eval()
    loss_sum, c1, c5, n = 0.0, 0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(ranks.device), y.to(ranks.device)
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            k = min(5, logits.shape[1])
            top = logits.topk(k, dim=1).indices
            c1 += (top[:, 0] == y).sum().item()
            c5 += (top == y[:, None]).any(dim=1).sum().item()
            n += y.numel()
    model.train()
    loss_sum, c1, c5, n = reduce_sum([loss_sum, c1, c5, n], ranks.device, ranks.world)
    if n == 0:
        return float("nan"), 0.0, 0.0
    return loss_sum / n, c1 / n, c5 / n


def resume_from(path, config, model, optimizer, progress):
    """Loads a checkpoint of this run (refusing another run's) and returns the epoch to start at."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if ckpt.get("loom_key") != config["run"]["key"]:
        raise ConfigError(f"checkpoint {path} belongs to run {ckpt.get('loom_key')}, not {config['run']['key']}")
    model.load_state_dict(ckpt["state_dict"])
    optimizer.load_state_dict(ckpt["optimizer"])
    start_epoch = ckpt["epoch"] + 1
    progress.write(dict(event="resumed", epoch=start_epoch), force=True)
    return start_epoch


def save_checkpoint(directory, epoch, config, model, optimizer, top1):
    """`last.pth.tar` as timm writes it (epoch, arch, state_dict, optimizer, version 2, args, metric) plus the run key."""
    ckpt = dict(epoch=epoch, arch=config["model"]["arch"], state_dict=model.state_dict(),
                optimizer=optimizer.state_dict(), version=2, args=config, metric=100 * top1,
                loom_key=config["run"]["key"])
    tmp = os.path.join(directory, f"last.pth.tar.{os.getpid()}.tmp")
    torch.save(ckpt, tmp)
    os.replace(tmp, os.path.join(directory, "last.pth.tar"))


def finish(model, config, test_set, ranks):
    """Rank 0 writes the final weights, the probe and `status.json`; then every rank leaves the process group."""
    out = config["output"]
    devices = device_names(ranks.device, ranks.world)
    if ranks.main:
        state = export_state(model)
        save_file(state, out["finalWeights"], metadata={"run": config["run"]["key"],
                                                        "engine": f"torch {torch.__version__} timm {timm.__version__}"})
        write_probe(model, config["model"], test_set, os.path.join(out["dir"], "probe.safetensors"))
        params = sum(p.numel() for p in model.parameters())
        atomic_write(os.path.join(out["dir"], "status.json"),
                     json.dumps(dict(status="succeeded", params=params, world=ranks.world, device=str(ranks.device),
                                     devices=devices, torch=torch.__version__, timm=timm.__version__)).encode())
    if ranks.world > 1:
        dist.barrier()
        dist.destroy_process_group()


def train(config, resume):
    """The run, in timm train.py's order: set up, then per epoch the scheduler step, `train_one_epoch`, `validate`,
    and (rank 0) the checkpoint, summary row and throughput line."""
    ranks = Ranks(config)
    ranks.start()
    out = config["output"]
    if ranks.main:
        os.makedirs(out["dir"], exist_ok=True)
        write_args_yaml(os.path.join(out["dir"], "args.yaml"), config)
    progress = Progress(os.path.join(out["dir"], "progress.jsonl"), ranks.main)

    epochs, batch, world = config["epochs"], config["batchSize"], ranks.world
    if batch % world != 0:
        raise ConfigError(f"batchSize {batch} is the global batch and must divide by the {world} processes")
    seed = config["seed"]
    torch.manual_seed(seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    random.seed(seed * 1000 + ranks.rank)
    test_set, sampler, train_loader, test_loader = build_loaders(config, ranks, batch // world)

    model = build_model(config["model"])
    if config.get("weights"):
        load_weights(model, config["weights"])
    model.to(ranks.device)
    net = nn.parallel.DistributedDataParallel(model, device_ids=[ranks.local_rank] if ranks.use_cuda else None) if world > 1 else model
    mixup, criterion = build_criterion(config, ranks.device)
    optimizer = build_optimizer(model, config["optimizer"])
    scheduler = build_scheduler(optimizer, config["schedule"], epochs)
    check_schedule(scheduler, optimizer, config["lrPerEpoch"])
    start_epoch = resume_from(resume, config, model, optimizer, progress) if resume else 0

    summary_path = os.path.join(out["dir"], "summary.csv")
    if epochs == 0:
        loss, top1, top5 = validate(net, test_loader, ranks)
        if ranks.main:
            update_summary(summary_path, dict(epoch=0, train_loss=float("nan"), eval_loss=loss, eval_top1=100 * top1,
                                              eval_top5=100 * top5, lr=0.0), 0)
            progress.write(dict(event="epoch", epoch=0, images_per_second=0.0, seconds=0.0), force=True)
    for epoch in range(start_epoch, epochs):
        scheduler.step(epoch)
        lr = sum(g["lr"] for g in optimizer.param_groups) / len(optimizer.param_groups)
        sampler.set_epoch(epoch)
        loss_sum, seen, seconds = train_one_epoch(epoch, net, train_loader, optimizer, criterion, mixup,
                                                  config.get("clipGrad"), progress, ranks)
        seconds /= world
        eval_loss, top1, top5 = validate(net, test_loader, ranks)
        if ranks.main:
            save_checkpoint(out["dir"], epoch, config, model, optimizer, top1)
            update_summary(summary_path, dict(epoch=epoch, train_loss=loss_sum / max(seen, 1), eval_loss=eval_loss,
                                              eval_top1=100 * top1, eval_top5=100 * top5, lr=lr), epoch)
            progress.write(dict(event="epoch", epoch=epoch, images_per_second=seen / max(seconds, 1e-9),
                                seconds=seconds), force=True)
        if world > 1:
            dist.barrier()
    finish(model, config, test_set, ranks)


def write_probe(model, model_config, test_set, path):
    """Up to 8 test images after the eval transform and the final model's eval-mode logits, computed in float64 on
    the CPU, so Loom can check that the weights mean the same in its engine."""
    count = min(8, len(test_set))
    x = torch.stack([test_set[i][0] for i in range(count)]).to(torch.float32)
    reference = build_model(model_config)
    reference.load_state_dict(model.state_dict())
    reference = reference.to("cpu", torch.float64).eval()
    with torch.no_grad():
        logits = reference(x.to(torch.float64)).to(torch.float32)
    save_file({"input": x.contiguous(), "logits": logits.contiguous()}, path)


def main():
    parser = argparse.ArgumentParser(description="Train one resolved Loom Experiment with timm and DDP.")
    parser.add_argument("--config", required=True, help="config.json written by Loom")
    parser.add_argument("--resume", default="", help="last.pth.tar to resume from")
    args = parser.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    if config.get("format") != FORMAT:
        raise SystemExit(f"{args.config}: format {config.get('format')!r}, this trainer reads {FORMAT!r}")
    status_path = os.path.join(config["output"]["dir"], "status.json")
    try:
        train(config, args.resume or None)
    except BaseException as e:
        if int(os.environ.get("RANK", 0)) == 0 and not isinstance(e, KeyboardInterrupt):
            kind = "config" if isinstance(e, ConfigError) else "diverged" if isinstance(e, FloatingPointError) else "error"
            os.makedirs(config["output"]["dir"], exist_ok=True)
            atomic_write(status_path, json.dumps(dict(status="failed", kind=kind, message=str(e),
                                                      traceback=traceback.format_exc())).encode())
        raise


if __name__ == "__main__":
    main()
