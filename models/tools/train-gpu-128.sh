#!/usr/bin/env bash
# The 128 px v2 run (issue 15) on one CUDA GPU: a few configurations side by side for a fixed
# wall time, checkpointing often, each packed small enough to come back through the device
# tool (at most 8 files of 16 MiB, 64 MiB in all).
#
#   bash models/tools/train-gpu-128.sh DATA OUT_DIR [MINUTES]
#
# DATA: the faces, either the 200 px UTKFace tar or the WebP pack of tools/pack_gpu_data.py
# (models/runs/gpu-data/utkface200-128.tar, the one that can travel). MINUTES (default 8) is
# the training time of every configuration; the whole script takes about 1.5 minutes more
# (decoding the faces once, the last evaluation, packing), so 8 fits one 10-minute call.
# Running it again with the same SMGAN_WORK resumes every configuration from its latest.pt.
#
# Writes, per configuration NAME (each file under the tool's 16 MiB):
#   OUT_DIR/NAME.tar        best-ship.pt (the run's best.pt, slim: g_ema, e_ema, train_args,
#                           metrics; what the exporter and smgan.evaluate read), log.jsonl,
#                           train.out, the sample grids;
#   OUT_DIR/NAME-final.pt   the same as best-ship.pt at the last step;
#   OUT_DIR/NAME-state.pt   the live networks (generator, encoder, discriminator) of the last
#                           step; `python3 -m smgan.slim --merge NAME-final.pt NAME-state.pt
#                           --out latest.pt` resumes it (Adam restarts from zero moments);
#                           left out, last configuration first, when the files would pass 62 MiB;
# and OUT_DIR/summary.txt with every configuration's evaluations. Two configurations of the
# default architecture come to about 60 MB.
#
# Environment: SMGAN_WORK (work folder, default models/runs/gpu128), PYTHON (default python3),
# ARCH (the architecture flags), RECON_STEPS, REC_ADV_FROM, BATCH, CONFIGS (a file with one
# "NAME FLAGS..." line per configuration, replacing the defaults below).
set -uo pipefail
data=$(realpath "$1") out=$2 minutes=${3:-8}
here=$(cd "$(dirname "$0")/.." && pwd)
work=${SMGAN_WORK:-$here/runs/gpu128}
mkdir -p "$work" "$out"
out=$(realpath "$out")
cd "$here"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
# shellcheck source=train-side-by-side.sh
. "$here/tools/train-side-by-side.sh"

# decode the faces once (each configuration then memory-maps or uploads the cache)
"$py" - "$data" "$work/cache" <<'PY' || exit 1
import sys, time, torch
from smgan.data import load_split
t = time.time()
tr, te, info = load_split(sys.argv[1], sys.argv[2], 128)
print(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}, "
      f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}; "
      f"faces {len(tr)} train + {len(te)} held out at 128 px ({time.time() - t:.0f} s)")
PY

# the architecture chosen for the 40 ms edit (models/training/README.md, "128 px v2")
arch=${ARCH:-"--size 128 --latent-size 16 --latent-channels 64 --channel-cap 48 --d-channel-cap 96"}
# name and extra flags of each configuration; all train with augmented encoder inputs,
# the adversarial term on reconstructions and feature matching from REC_ADV_FROM on, and the
# random-sample GAN from RECON_STEPS on
if [ -n "${CONFIGS:-}" ]; then
  mapfile -t configs < "$CONFIGS"
else
  configs=(
    "fm1 --fm-weight 1 --adv-rec-weight 0.1"
    "fm1-hf1 --fm-weight 1 --adv-rec-weight 0.1 --hf-weight 1"
  )
fi
recon=${RECON_STEPS:-800}
common="--data $data --cache $work/cache $arch --batch ${BATCH:-64} --augment --steps 1000000 \
  --recon-steps $recon --rec-adv-from ${REC_ADV_FROM:-200} --select-from $recon --select-by balanced \
  --max-minutes $minutes --eval-every 200 --eval-count 2000 --sample-every 200 --ckpt-every 100 \
  --snapshot-every 200 --ema-half-life 200 --rec-weight 10 --r1 10"
train_side_by_side 4

: > "$out/summary.txt"
for c in "${configs[@]}"; do
  name=${c%% *} dir=$work/$name
  { echo "== $name: ${c#* }"; grep '"eval"' "$dir/log.jsonl" 2>/dev/null; } >> "$out/summary.txt"
  [ -f "$dir/latest.pt" ] || continue
  "$py" -m smgan.slim --checkpoint "$dir/latest.pt" --out "$out/$name-final.pt"
  "$py" -m smgan.slim --checkpoint "$dir/latest.pt" --part training --out "$out/$name-state.pt"
  files=(log.jsonl train.out)
  [ -f "$dir/best.pt" ] && { "$py" -m smgan.slim --checkpoint "$dir/best.pt" --out "$dir/best-ship.pt"; files+=(best-ship.pt); }
  for f in "$dir"/samples_*.png; do [ -f "$f" ] && files+=("$(basename "$f")"); done
  tar -C "$dir" -cf "$out/$name.tar" "${files[@]}"
done
# what comes back through the device tool: at most 8 files of 16 MiB, 64 MiB in all; the
# training states go first when the packs would not fit
budget=$((62 * 1024 * 1024))
total() { du -cb "$out"/* | tail -n 1 | cut -f1; }
for c in $(printf '%s\n' "${configs[@]}" | tac | cut -d' ' -f1); do
  [ "$(total)" -le $budget ] && break
  echo "dropping $c-state.pt: the packs exceed 62 MiB"; rm -f "$out/$c-state.pt"
done
for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -le $((16 * 1024 * 1024)) ] || echo "WARNING: $f is over 16 MiB and will not come back"
done
cat "$out/summary.txt"
ls -la "$out"
exit $status
