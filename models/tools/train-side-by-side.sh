# Sourced by train-gpu.sh and train-gpu-128.sh: starts every configuration in `configs`
# ("NAME FLAGS..." strings) as its own `$py -m smgan.train $common --out $work/NAME FLAGS`
# process, all at once, writing $work/NAME/train.out; waits for all of them, prints each one's
# outcome and the last LINES (default 4) lines of its train.out, and sets `status` to 1 when
# any failed (0 otherwise). Uses the caller's py, work, common and configs.
train_side_by_side() {
  local lines=${1:-4} c name args i
  local pids=()
  for c in "${configs[@]}"; do
    name=${c%% *} args=${c#* }
    mkdir -p "$work/$name"
    # shellcheck disable=SC2086
    "$py" -m smgan.train $common --out "$work/$name" $args > "$work/$name/train.out" 2>&1 &
    pids+=($!)
  done
  status=0
  for i in "${!configs[@]}"; do
    name=${configs[$i]%% *}
    if wait "${pids[$i]}"; then echo "$name: done"; else echo "$name: FAILED"; status=1; fi
    tail -n "$lines" "$work/$name/train.out"
  done
}
