"""Converts a checkpoint on disk (`loom weights import`) or timm's pretrained weights (`weights: .timm(...)`) into
safetensors under timm's names for one Loom model.

    python loom_weights.py --job job.json

job.json (written by Loom): {"file": checkpoint, "out": safetensors to write, "probe": probe to write,
"model": the model object of loom_train.py's config (built by the same `build_model`), "image": probe size}.

The checkpoint is read without unpickling arbitrary objects: `.safetensors` through safetensors, anything else
(`.pth`, `.pth.tar`, `.bin`, `.pt`) through `torch.load(weights_only=True)`. A bare state dict, or one under
`state_dict` or `model`, is accepted; DDP/DataParallel `module.` prefixes are stripped. The names and shapes are
checked against the model before anything is written. Prints one JSON object on stdout: {"status": "ok", ...},
{"status": "mismatch", "missing": [...], "unexpected": [...], "wrong": [[name, got, expected], ...]} or
{"status": "error", "message": ...} (with "missing": "weights" when timm could not download them, "python" when this
Python lacks torch, timm or safetensors); the exit status is 0 only for "ok".

With "mode": "timm" the job is {"mode", "name": timm name with tag, "file": local checkpoint or null, "out", "model"}:
the weights come from `timm.create_model(name, pretrained=True)` (a download), or with "file" from that checkpoint
through timm's `pretrained_cfg_overlay=dict(file=...)`; they are checked against the Loom model as above, written to
"out", and "ok" carries their sha256 and timm's `pretrained_cfg` (mean, std, input_size, interpolation, crop_pct,
crop_mode).
"""
import hashlib
import argparse
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class ImportFailure(Exception):
    """A checkpoint Loom cannot use, with the reason in words."""


class DownloadFailure(ImportFailure):
    """timm could not fetch the weights (no internet, hub unreachable): the weights are missing, not wrong."""


def read_checkpoint(path):
    """The tensors of a checkpoint file and the names of any non-tensor entries beside them."""
    import torch
    from safetensors.torch import load_file

    if not os.path.isfile(path):
        raise ImportFailure(f"{path} is not a file")
    if path.endswith(".safetensors"):
        try:
            return load_file(path), []
        except Exception as e:  # a truncated or foreign file
            raise ImportFailure(f"{path} is not a readable safetensors file: {e}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Weights only load failed" not in str(e):  # not a pickle at all
            raise ImportFailure(f"{path} is not a torch checkpoint ({str(e).strip().splitlines()[0]})")
        # weights_only refused an object: its code never ran
        lines = [l.strip() for l in str(e).splitlines() if "GLOBAL" in l or "global" in l]
        why = lines[0] if lines else "it holds objects other than tensors"
        raise ImportFailure(f"{path} holds pickled objects that are not tensors ({why}); Loom loads checkpoints with "
                            "torch.load(weights_only=True) and never runs pickled code. Re-save it from code you trust "
                            "as a plain state dict (torch.save(model.state_dict(), ...)) or as safetensors")
    except Exception as e:  # truncated, corrupt or not a torch file at all
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ImportFailure(f"{path} cannot be read as a torch checkpoint ({type(e).__name__}: {first})")
    return unwrap(obj, path)


def unwrap(obj, path):
    """A bare state dict, or the one under `state_dict` or `model`, with `module.` prefixes stripped."""
    import torch

    beside = []  # a training checkpoint's other entries (epoch, optimizer, ...), skipped
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if isinstance(obj.get(key), dict):
                beside = [str(k) for k in obj if k != key]
                obj = obj[key]
                break
    if not isinstance(obj, dict):
        raise ImportFailure(f"{path} holds a {type(obj).__name__}, not a state dict of tensors")
    tensors = {k: v for k, v in obj.items() if isinstance(k, str) and torch.is_tensor(v)}
    others = sorted(beside + [str(k) for k, v in obj.items() if not (isinstance(k, str) and torch.is_tensor(v))])
    if not tensors:
        raise ImportFailure(f"{path} has no tensors at the top level or under state_dict/model (keys: {others[:8]})")
    stripped = {}
    for k, v in tensors.items():
        name = k[len("module."):] if k.startswith("module.") else k
        if name in stripped:
            raise ImportFailure(f"{path} has both {name} and module.{name}")
        stripped[name] = v
    return stripped, others


def compare(model, state):
    """Missing, unexpected and wrongly shaped tensor names of `state` against the model's own state dict."""
    expected = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    given = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    missing = sorted(k for k in expected if k not in given)
    unexpected = sorted(k for k in given if k not in expected)
    wrong = sorted([k, list(given[k].shape), list(expected[k].shape)]
                   for k in given if k in expected and tuple(given[k].shape) != tuple(expected[k].shape))
    return missing, unexpected, wrong


def head_classes(state):
    """The class count of a classifier head in the checkpoint (timm's `fc` or `head`), if it has one."""
    for name in ("fc.weight", "head.weight"):
        if name in state and state[name].dim() == 2:
            return int(state[name].shape[0])
    return None


def write_probe(model, image, path):
    """Four seeded random inputs and the model's float64 eval-mode logits, for Loom's parity check."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, image, image, generator=generator, dtype=torch.float32)
    reference = model.to(torch.float64).eval()
    with torch.no_grad():
        logits = reference(x.to(torch.float64)).to(torch.float32)
    save_file({"input": x.contiguous(), "logits": logits.contiguous()}, path)


def fit_and_save(job, state, source):
    """Checks `state` against the job's model; when it fits, writes it as safetensors under timm's names (atomically).
    Returns (model, None), or (None, the mismatch result) with nothing written."""
    import torch
    from safetensors.torch import save_file
    from loom_train import build_model, export_state

    model = build_model(job["model"])
    missing, unexpected, wrong = compare(model, state)
    if missing or unexpected or wrong:
        return None, dict(status="mismatch", missing=missing, unexpected=unexpected, wrong=wrong,
                          head_classes=head_classes(state), tensors=len(state))
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=False)
    out = job["out"]
    tmp = out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save_file(export_state(model), tmp, metadata={"source": source})
    os.replace(tmp, out)
    return model, None


def run(job):
    state, others = read_checkpoint(job["file"])
    model, mismatch = fit_and_save(job, state, os.path.basename(job["file"]))
    if mismatch:
        return mismatch
    write_probe(model, int(job["image"]), job["probe"])
    params = sum(p.numel() for p in model.parameters())
    return dict(status="ok", tensors=len(state), parameters=int(params), skipped=others)


PRETRAINED_CFG_KEYS = ("mean", "std", "input_size", "interpolation", "crop_pct", "crop_mode")


def create_timm(name, file):
    """timm's pretrained model `name`, downloaded, or loaded from the local checkpoint `file` (read once with
    weights_only=True first, so an unusable file gets the same words as `loom weights import`)."""
    import timm

    kwargs = dict(pretrained=True)
    if file:
        read_checkpoint(file)
        kwargs["pretrained_cfg_overlay"] = dict(file=os.path.abspath(file))
    try:
        return timm.create_model(name, **kwargs)
    except RuntimeError as e:
        text = str(e).strip()
        if not ("Unknown model" in text or "Invalid pretrained tag" in text):
            raise
        arch = name.split(".", 1)[0]
        if arch in timm.list_models():
            tags = [n.split(".", 1)[1] for n in timm.list_pretrained(arch + ".*")][:8]
            hint = f"`{arch}` has the pretrained tags: {', '.join(tags) or 'none'}"
        else:
            import difflib
            close = difflib.get_close_matches(arch, timm.list_models(), n=3)
            hint = f"did you mean {', '.join('`' + c + '`' for c in close)}?" if close else "see timm.list_models()"
        raise ImportFailure(f"timm does not know `{name}`: \"{text}\"; {hint}")
    except OSError as e:  # huggingface_hub's LocalEntryNotFoundError and connection errors are OSErrors
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DownloadFailure(f"timm could not download the weights of `{name}` ({type(e).__name__}: {first}); this machine "
                            "seems to have no internet access. Download the checkpoint elsewhere and give it as "
                            f".timm(\"{name}\", file: \"path\")")


def sha256(path):
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_timm(job):
    pretrained = create_timm(job["name"], job.get("file"))
    state = {k: v for k, v in pretrained.state_dict().items()}
    model, mismatch = fit_and_save(job, state, "timm:" + job["name"])
    if mismatch:
        return mismatch
    out = job["out"]
    cfg = {k: pretrained.pretrained_cfg.get(k) for k in PRETRAINED_CFG_KEYS}
    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}
    params = sum(p.numel() for p in model.parameters())
    return dict(status="ok", tensors=len(state), parameters=int(params), skipped=[], sha256=sha256(out),
                pretrained_cfg=cfg)


def main():
    parser = argparse.ArgumentParser(description="Convert a checkpoint to safetensors under timm's names for Loom.")
    parser.add_argument("--job", required=True, help="job.json written by `loom weights import`")
    args = parser.parse_args()
    try:
        with open(args.job) as f:
            job = json.load(f)
        result = run_timm(job) if job.get("mode") == "timm" else run(job)
    except DownloadFailure as e:
        result = dict(status="error", message=str(e), missing="weights")
    except ImportFailure as e:
        result = dict(status="error", message=str(e))
    except ModuleNotFoundError as e:
        result = dict(status="error", message=f"{sys.executable} lacks the module {e.name} (needs torch, timm and "
                                              "safetensors); set --python or $LOOM_TORCH_PYTHON", missing="python")
    print(json.dumps(result))
    sys.exit(0 if result["status"] == "ok" else 1)


if __name__ == "__main__":
    main()
