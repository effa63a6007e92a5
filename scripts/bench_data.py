#!/usr/bin/env python3
# torchvision's side of `loom bench --data`: ImageFolder + DataLoader on the same folder, images/s of the training input path.
"""Times torchvision's ImageNet training input path on an image folder:
ImageFolder(root, RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize) in a
DataLoader(batch_size, shuffle=True, num_workers) -- PIL decoding (libjpeg-turbo), bilinear antialiased
resize -- the same steps `loom bench --data FOLDER` times on Loom's loader threads.

Usage: python scripts/bench_data.py FOLDER [--batch 64] [--workers 2] [--reps 3] [--json]
One warm-up epoch (it also starts the workers and fills the page cache), then the best of --reps epochs;
each epoch starts fresh workers, as a DataLoader without persistent_workers does.
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", help="image folder root/<class>/<images> (e.g. the one `loom bench --data` prints)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    if not os.path.isdir(args.folder):
        sys.exit(f"bench_data.py: {args.folder} is not a folder")

    import torch
    import torchvision
    from torchvision import datasets, transforms

    torch.set_num_threads(1)  # the workers do the work; the main process only collates
    tf = transforms.Compose([
        transforms.RandomResizedCrop(224),  # bilinear, antialiased on PIL images
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(args.folder, transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch, shuffle=True, num_workers=args.workers)

    def epoch():
        checksum = 0.0
        for x, _ in loader:
            checksum += float(x[0, 0, 0, 0])
        return checksum

    epoch()
    best = float("inf")
    for _ in range(args.reps):
        t0 = time.perf_counter()
        epoch()
        best = min(best, time.perf_counter() - t0)
    row = {"folder": args.folder, "images": len(ds), "batch": args.batch, "workers": args.workers, "reps": args.reps,
           "seconds": best, "images_per_s": len(ds) / best, "torch": torch.__version__,
           "torchvision": torchvision.__version__, "pillow": __import__("PIL").__version__}
    if args.json:
        print(json.dumps(row, sort_keys=True))
    else:
        print(f"# torchvision ImageFolder + DataLoader(num_workers={args.workers}) on {args.folder}; best epoch of "
              f"{args.reps} after 1 warm-up; torch {row['torch']}, torchvision {row['torchvision']}, Pillow {row['pillow']}")
        print(f"images {len(ds)}  batch {args.batch}  workers {args.workers}  seconds {best:.2f}  img/s {len(ds) / best:.1f}")


if __name__ == "__main__":
    main()
