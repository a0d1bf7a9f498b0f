#!/usr/bin/env bash
# `xai-video predict` over the Kinetics val and test clips against FFmpeg's own decode of the
# same clips with motion vectors exported (`-flags2 +export_mvs`, one thread each, two clips at
# a time as predict runs them on two cores), in alternating rounds; prints frames/s of both and
# their ratio per round and the median ratio.
#
#   crates/video/scripts/predict_vs_decode.sh [XAI_VIDEO] [ROUNDS]
#
# XAI_VIDEO defaults to target/release/xai-video (build it with `cargo build --release -p
# xai-video`); the clips are read from $RELVIS_DATA (default ../shared/data).
set -euo pipefail
bin=${1:-target/release/xai-video}
rounds=${2:-3}
data=${RELVIS_DATA:-../shared/data}/video/kinetics-2class
clips=$(ls "$data"/val/*/*.mp4 "$data"/test/*/*.mp4)
frames=0
for clip in $clips; do
  n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip")
  frames=$((frames + n))
done
seconds() { local start=$EPOCHREALTIME; "$@" >/dev/null; echo "$EPOCHREALTIME - $start" | bc -l; }
decode() { printf '%s\n' $clips | xargs -P 2 -I{} ffmpeg -v error -threads 1 -flags2 +export_mvs -i {} -f null -; }
predict() { "$bin" predict --json $clips 2>/dev/null; }
ratios=()
for round in $(seq "$rounds"); do
  d=$(seconds decode)
  p=$(seconds predict)
  ratio=$(echo "$d / $p" | bc -l)
  ratios+=("$ratio")
  printf 'round %d: decode %.0f frames/s, predict %.0f frames/s, ratio %.3f\n' \
    "$round" "$(echo "$frames / $d" | bc -l)" "$(echo "$frames / $p" | bc -l)" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk -v f="$frames" '{r[NR]=$1} END {printf "%d frames; median ratio predict / decode %.3f\n", f, r[int((NR+1)/2)]}'
