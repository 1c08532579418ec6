#!/usr/bin/env bash
# Trains several configurations of the default model side by side on one CUDA GPU, for a
# fixed wall time, and packs each run's shippable weights, log and sample grids.
#
#   bash models/tools/train-gpu.sh DATA.tar OUT_DIR [MINUTES]
#
# OUT_DIR/<config>.tar holds best.pt and final.pt (g_ema, e_ema, train_args: what the
# converter reads), log.jsonl, train.out and the sample grids; OUT_DIR/<first config>-state.pt
# holds that run's live networks (smgan.slim --merge rebuilds a resumable checkpoint).
# The model is small, so one process barely loads the GPU: running configurations in
# parallel costs little and answers "which settings" in one sitting.
set -uo pipefail
# paths from the caller's folder: the script works in models/
data=$(realpath "$1") out=$2 minutes=${3:-6.5}
here=$(cd "$(dirname "$0")/.." && pwd)
work=${SMGAN_WORK:-/tmp/smgan-gpu}
mkdir -p "$work" "$out"
out=$(realpath "$out")
cd "$here"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
# shellcheck source=train-side-by-side.sh
. "$here/tools/train-side-by-side.sh"
"$py" - "$data" "$work" <<'PY' || exit 1
import sys, torch
from smgan.data import load_faces
tr, te, _ = load_faces(sys.argv[1], cache_dir=sys.argv[2])
print(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}, "
      f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}; faces {len(tr)} + {len(te)}")
PY

# name and extra arguments of each configuration
configs=(
  "b64-r1g10 --batch 64 --r1 10"
  "b64-r1g1 --batch 64 --r1 1"
  "b64-r1g10-rec20 --batch 64 --r1 10 --rec-weight 20 --adv-rec-weight 0.1"
)
common="--data $data --cache $work --steps 1000000 --recon-steps ${RECON_STEPS:-1500} \
  --select-from ${SELECT_FROM:-3000} --max-minutes $minutes --eval-every 500 --eval-count 2000 \
  --sample-every 500 --ckpt-every 1000 --ema-half-life 500"
train_side_by_side 3

first=${configs[0]%% *}
for c in "${configs[@]}"; do
  name=${c%% *} dir=$work/$name
  [ -f "$dir/latest.pt" ] || continue
  "$py" -m smgan.slim --checkpoint "$dir/latest.pt" --out "$dir/final.pt"
  [ "$name" = "$first" ] && "$py" -m smgan.slim --checkpoint "$dir/latest.pt" --part training --out "$out/$name-state.pt"
  files=(final.pt log.jsonl train.out)
  [ -f "$dir/best.pt" ] && { "$py" -m smgan.slim --checkpoint "$dir/best.pt" --out "$dir/best-ship.pt"; files+=(best-ship.pt); }
  for f in "$dir"/samples_*.png; do [ -f "$f" ] && files+=("$(basename "$f")"); done
  tar -C "$dir" -cf "$out/$name.tar" "${files[@]}"
done
ls -la "$out"
exit $status
