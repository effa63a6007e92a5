# Reduces the photographs' PIL references (photo_*.safetensors: `rgb` 427x640x3, `eval224` 224x224x3) to what the
# tests need: eval224 unchanged, a 64x64 crop of `rgb` (rows 160:224, columns 288:352) and the FNV-1a 64-bit hash of
# the whole `rgb`. Usage: python reduce_photos.py SOURCE_DIR  (the folder holding the full photo_*.safetensors).
import json, struct, sys

def read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    out = {k: (v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items() if k != "__metadata__"}
    return out, header.get("__metadata__", {})

def fnv1a64(data):
    h = 0xcbf29ce484222325
    for x in data:
        h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

tensors, meta = {}, {}
for name in ["photo_china", "photo_flower"]:
    t, m = read(f"{sys.argv[1]}/{name}.safetensors")
    (h, w, c), rgb = t["rgb"]
    crop = b"".join(rgb[((y * w) + 288) * 3:((y * w) + 352) * 3] for y in range(160, 224))
    tensors[f"{name}.eval224"] = ([224, 224, 3], t["eval224"][1])
    tensors[f"{name}.rgb_crop_y160_x288"] = ([64, 64, 3], crop)
    meta[f"{name}.rgb_fnv1a64"] = "%016x" % fnv1a64(rgb)
    meta[f"{name}.rgb_shape"] = json.dumps([h, w, c])
    meta[f"{name}.case"] = m.get("case", "")
header, offset, blobs = {"__metadata__": meta}, 0, []
for k, (shape, blob) in tensors.items():
    header[k] = {"dtype": "U8", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    offset += len(blob); blobs.append(blob)
hj = json.dumps(header).encode()
hj += b" " * (-len(hj) % 8)
open("photos_reference.safetensors", "wb").write(struct.pack("<Q", len(hj)) + hj + b"".join(blobs))
print(meta)
