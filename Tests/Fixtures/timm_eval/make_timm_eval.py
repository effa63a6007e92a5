"""Writes timm_eval.safetensors: timm's evaluation transform on the two photographs of ../jpeg (PIL, uint8, before
ToTensor), for the pretrained_cfg of three timm weights and three further settings, as `create_transform(**
resolve_data_config({}, model=timm.create_model(name)))` builds it (the cfg needs no download).

Per case and photo: `<case>.<photo>.crop` (the centre 48×48 of the output, uint8 H×W×3)
and in the metadata `<case>.<photo>.fnv1a64` (FNV-1a 64-bit of the whole output's bytes) and `<case>.cfg` (the
settings as JSON: input_size, crop_pct, crop_mode, interpolation). Run with the torch venv's Python (timm 1.0.31,
torchvision 0.29, Pillow 13): python make_timm_eval.py
"""
import json
import os

import numpy as np
import timm
from PIL import Image
from safetensors.numpy import save_file
from timm.data import create_transform, resolve_data_config

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = ("photo_china", "photo_flower")
NAMED = ("resnet50.a1_in1k", "vit_small_patch16_224.dino", "vit_small_patch16_224.augreg_in21k_ft_in1k")
# Settings no cfg above has: a squash crop, lanczos and bilinear resizing at other sizes and crop fractions.
EXTRA = {
    "squash_bicubic_160": dict(input_size=(3, 160, 160), crop_pct=0.9, crop_mode="squash", interpolation="bicubic"),
    "center_lanczos_96": dict(input_size=(3, 96, 96), crop_pct=1.0, crop_mode="center", interpolation="lanczos"),
    "center_bilinear_128": dict(input_size=(3, 128, 128), crop_pct=0.8, crop_mode="center", interpolation="bilinear"),
}


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "016x")


def main():
    cases = {}
    for name in NAMED:
        cfg = resolve_data_config({}, model=timm.create_model(name, pretrained=False))
        cases[name] = {k: cfg[k] for k in ("input_size", "crop_pct", "crop_mode", "interpolation")}
    cases.update(EXTRA)
    tensors, meta = {}, {}
    for case, cfg in cases.items():
        transform = create_transform(**cfg, mean=(0, 0, 0), std=(1, 1, 1), is_training=False)
        steps = [t for t in transform.transforms if type(t).__name__ in ("Resize", "CenterCrop")]
        meta[case + ".cfg"] = json.dumps(dict(cfg, input_size=list(cfg["input_size"])), sort_keys=True)
        for photo in PHOTOS:
            img = Image.open(os.path.join(HERE, "..", "jpeg", photo + ".jpg")).convert("RGB")
            for t in steps:
                img = t(img)
            out = np.asarray(img, dtype=np.uint8)
            side = cfg["input_size"][1]
            assert out.shape == (side, side, 3), out.shape
            c0 = side // 2 - 24
            tensors[f"{case}.{photo}.crop"] = np.ascontiguousarray(out[c0:c0 + 48, c0:c0 + 48])
            meta[f"{case}.{photo}.fnv1a64"] = fnv1a64(out.tobytes())
    save_file(tensors, os.path.join(HERE, "timm_eval.safetensors"), metadata=meta)


if __name__ == "__main__":
    main()
