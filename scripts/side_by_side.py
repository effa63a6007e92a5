#!/usr/bin/env python3
"""Loom beside PyTorch on this machine: `loom bench` and the PyTorch reference script
(torch_cpu.py, kept outside this repository) run in alternating rounds, each cell the best of
its program's rounds, printed as a Markdown table of images/s with Loom's ratio.

  python3 scripts/side_by_side.py --torch-script ../shared/bench/torch_cpu.py \
      --python ~/torch-venv/bin/python --models r18,r50,vit6 --batches 32,128 --rounds 3 --memory

Both programs' figures move between sittings on a shared machine; alternating rounds give both
the same chance at a quiet moment. --memory adds each program's peak resident memory, one
process per model and batch (wait4's ru_maxrss), since a process that ran several models
reports its high-water mark over all of them.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run_torch(args, models, batches, reps):
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as fh:
        path = fh.name
    try:
        cmd = [args.python, args.torch_script, "--threads", str(args.threads), "--batches", batches,
               "--models", models, "--reps", str(reps), "--json", path]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"side_by_side: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        with open(path) as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return {(r["model"], r["batch"]): (r["fwd_img_s"], r["train_img_s"]) for r in rows}
    finally:
        os.unlink(path)


def run_loom(args, models, batches, reps):
    cmd = [args.loom, "bench", "--model", models, "--batch", batches, "--threads", str(args.threads),
           "--reps", str(reps), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"side_by_side: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {(r["model"], r["batch"]): (r["infer_img_s"], r["train_img_s"]) for r in rows}


def peak_mb(cmd):
    """Peak resident memory of one child process, in MB."""
    with open(os.devnull, "w") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"side_by_side: {' '.join(cmd)} failed")
    return usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch-script", required=True, help="path of the PyTorch reference script torch_cpu.py")
    ap.add_argument("--python", default=sys.executable, help="Python with torch installed")
    ap.add_argument("--loom", default=".build/release/loom", help="the loom binary (release build)")
    ap.add_argument("--models", default="r18,r50,vit6")
    ap.add_argument("--batches", default="32,128")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--memory", action="store_true", help="also measure peak memory per model and batch")
    args = ap.parse_args()
    for path in (args.torch_script, args.loom):
        if not os.path.exists(path):
            sys.exit(f"side_by_side: no file {path}")

    best = {"torch": {}, "loom": {}}
    for r in range(args.rounds):
        for name, run in (("torch", run_torch), ("loom", run_loom)):
            for key, (infer, train) in run(args, args.models, args.batches, args.reps).items():
                old = best[name].get(key, (0.0, 0.0))
                best[name][key] = (max(old[0], infer), max(old[1], train))
        print(f"# round {r + 1} of {args.rounds} done", file=sys.stderr)

    memory = {}
    if args.memory:
        for m in args.models.split(","):
            for b in args.batches.split(","):
                t = peak_mb([args.python, args.torch_script, "--threads", str(args.threads), "--batches", b,
                             "--models", m, "--reps", "1"])
                l = peak_mb([args.loom, "bench", "--model", m, "--batch", b, "--threads", str(args.threads),
                             "--reps", "1"])
                memory[(m, int(b))] = (t, l)

    head = "| model | batch | PyTorch infer / train | Loom infer / train | ratio infer / train |"
    print(head + (" peak MB PyTorch / Loom |" if args.memory else ""))
    print("|---" * (6 if args.memory else 5) + "|")
    for m in args.models.split(","):
        for b in (int(x) for x in args.batches.split(",")):
            t, l = best["torch"].get((m, b)), best["loom"].get((m, b))
            if not t or not l:
                print(f"| {m} | {b} | missing: {'PyTorch' if not t else 'Loom'} gave no figure |")
                continue
            row = (f"| {m} | {b} | {t[0]:.1f} / {t[1]:.1f} | {l[0]:.1f} / {l[1]:.1f} "
                   f"| {l[0] / t[0]:.2f}× / {l[1] / t[1]:.2f}× |")
            if args.memory:
                tm, lm = memory[(m, b)]
                row += f" {tm:,.0f} / {lm:,.0f} |"
            print(row)


if __name__ == "__main__":
    main()
