#!/usr/bin/env bash
# nas_weights.sh: `mcunet-nas export --weights` with a PyTorch-style state dict written by numpy (np.savez):
#  - the C float forward pass (`mcunet-nas forward`) equals an independent numpy forward pass (batch norm applied,
#    not folded) to 1e-4 of the logit range, on mcunet-in0 and on a small config with a skipped (ZeroLayer) block and
#    a feature-mix layer;
#  - the export (calibrated on the images) is deterministic, compiles with mcunetc --board stm32h743, and its int8
#    logits (mcunet-run --target=host on the quantized image) dequantized have the float argmax and stay within
#    10% of the float logit range; the seeded calibration (no --calib) also exports, compiles and stays within 15%;
#  - damaged state dicts are refused with their exact message, exit status 1 and no output file.
source "$(dirname "$0")/../tools/e2e_lib.bash" "$@"
need_built mcunet-nas mcunetc mcunet-run
"$py" -c 'import numpy' 2>/dev/null || skip "$py lacks numpy"
cfgdir=$shared/models/mcunet-configs
need_file "$cfgdir/mcunet-10fps_imagenet.json"
nw=$tools/nas_weights.py

# A small config: a skipped block (state-dict index 2 follows index 0), a residual block, a feature-mix layer.
cat > "$w/small.json" <<'JSON'
{"name": "ProxylessNASNets", "bn": {"momentum": 0.1, "eps": 0.001, "ws_eps": null},
 "first_conv": {"name": "ConvLayer", "kernel_size": 3, "stride": 2, "in_channels": 3, "out_channels": 8, "act_func": "relu6"},
 "blocks": [
  {"name": "MobileInvertedResidualBlock", "mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 8,
   "out_channels": 16, "kernel_size": 3, "stride": 2, "expand_ratio": 1, "mid_channels": null}, "shortcut": null},
  {"name": "MobileInvertedResidualBlock", "mobile_inverted_conv": {"name": "ZeroLayer", "stride": 1},
   "shortcut": {"name": "IdentityLayer", "in_channels": [16], "out_channels": [16]}},
  {"name": "MobileInvertedResidualBlock", "mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 16,
   "out_channels": 16, "kernel_size": 5, "stride": 1, "expand_ratio": 3, "mid_channels": 48},
   "shortcut": {"name": "IdentityLayer", "in_channels": [16], "out_channels": [16]}},
  {"name": "MobileInvertedResidualBlock", "mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 16,
   "out_channels": 24, "kernel_size": 7, "stride": 2, "expand_ratio": 4, "mid_channels": 64}, "shortcut": null}],
 "feature_mix_layer": {"name": "ConvLayer", "kernel_size": 1, "stride": 1, "in_channels": 24, "out_channels": 64,
   "act_func": "relu6"},
 "classifier": {"name": "LinearLayer", "in_features": 64, "out_features": 10, "bias": true},
 "resolution": 32}
JSON

# check NAME CONFIG SEED: weights and 3 images from numpy, float passes compared, export, compile, int8 vs float.
check() {
  local name=$1 cfg=$2 seed=$3 d=$w/$1
  mkdir -p "$d"
  "$py" "$nw" gen "$cfg" "$d/w.npz" "$seed" && "$py" "$nw" images "$cfg" "$d/img.raw" 3 $((seed + 10)) ||
    { fail "$name: numpy could not write the weights/images"; return; }
  run_cmd "$d/fwd.log" "$bin/mcunet-nas" forward "$cfg" --weights "$d/w.npz" --input "$d/img.raw" &&
    cp "$d/fwd.log" "$d/c.txt" && "$py" "$nw" forward "$cfg" "$d/w.npz" "$d/img.raw" > "$d/p.txt" &&
    if r=$("$py" "$nw" maxdiff "$d/p.txt" "$d/c.txt" 1e-4); then ok "$name: C float pass = numpy ($r)"
    else fail "$name: C float pass differs from numpy: $r"; fi
  for calib in file seeded; do
    local c=() tol=0.10 o=$d/$calib.onnx
    [[ $calib == file ]] && c=(--calib "$d/img.raw") || tol=0.15
    run_cmd "$d/rep.json" "$bin/mcunet-nas" export "$cfg" --weights "$d/w.npz" "${c[@]}" -o "$o" ||
      { fail "$name ($calib calibration): export"; continue; }
    "$bin/mcunet-nas" export "$cfg" --weights "$d/w.npz" "${c[@]}" -o "$d/again.onnx" >/dev/null &&
      cmp -s "$o" "$d/again.onnx" || fail "$name ($calib): export is not deterministic"
    grep -q "\"calibration\": \"$calib\"" "$d/rep.json" || fail "$name: report does not say $calib: $(cat "$d/rep.json")"
    run_cmd "$d/cc.log" "$bin/mcunetc" "$o" -o "$d/m.o" --board stm32h743 || { fail "$name ($calib): mcunetc"; continue; }
    read -r s z os oz < <("$py" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['input_scale'], \
      r['input_zero_point'], r['output_scale'], r['output_zero_point'])" "$d/rep.json")
    "$py" "$nw" quantize "$d/img.raw" "$cfg" "$s" "$z" "$d/q.raw"
    run_cmd "$d/run.log" "$bin/mcunet-run" "$o" --target=host --input "$d/q.raw" --output "$d/out.raw" ||
      { fail "$name ($calib): mcunet-run"; continue; }
    if r=$("$py" "$nw" compare "$d/c.txt" "$d/out.raw" "$os" "$oz" $tol); then ok "$name ($calib calibration): $r"
    else fail "$name ($calib calibration): int8 vs float beyond $tol of the range: $r"; fi
  done
}
check in0 "$cfgdir/mcunet-10fps_imagenet.json" 3
check small "$w/small.json" 5

# Damaged state dicts: exact messages, status 1, no output.
cfg=$cfgdir/mcunet-10fps_imagenet.json
refuse() { # WHAT NPZ EXPECTED-MESSAGE
  rm -f "$w/bad.onnx"
  "$bin/mcunet-nas" export "$cfg" --weights "$2" -o "$w/bad.onnx" > /dev/null 2> "$w/err"
  local rc=$?
  if [[ $rc == 1 && ! -e $w/bad.onnx && "$(cat "$w/err")" == "$3" ]]; then ok "$1 refused: $3"
  else fail "$1: status $rc, output $([[ -e $w/bad.onnx ]] && echo written || echo absent), message '$(cat "$w/err")'"; fi
}
k=blocks.4.mobile_inverted_conv.depth_conv
"$py" "$nw" gen "$cfg" "$w/z.npz" 3 --compressed
refuse "np.savez_compressed" "$w/z.npz" "mcunet-nas: $w/z.npz: entry 'first_conv.conv.weight.npy' is compressed (deflate): write the weights with np.savez, not np.savez_compressed"
"$py" "$nw" gen "$cfg" "$w/f.npz" 3 --f64 $k.bn.weight
refuse "float64" "$w/f.npz" "mcunet-nas: $w/f.npz: key '$k.bn.weight': dtype '<f8', expected '<f4' (save float32: .float().numpy())"
"$py" "$nw" gen "$cfg" "$w/m.npz" 3 --drop $k.bn.running_mean
refuse "missing key" "$w/m.npz" "mcunet-nas: $w/m.npz: missing key '$k.bn.running_mean'"
"$py" "$nw" gen "$cfg" "$w/s.npz" 3 --reshape $k.conv.weight
refuse "wrong shape" "$w/s.npz" "mcunet-nas: $w/s.npz: key '$k.conv.weight': shape (81, 1, 7, 7), the architecture needs (80, 1, 7, 7)"
"$py" "$nw" gen "$cfg" "$w/x.npz" 3 --extra blocks.99.mobile_inverted_conv.depth_conv.conv.weight
refuse "unexpected key" "$w/x.npz" "mcunet-nas: $w/x.npz: unexpected key 'blocks.99.mobile_inverted_conv.depth_conv.conv.weight' (not a parameter of this architecture)"
head -c 100000 "$w/in0/w.npz" > "$w/t.npz"
refuse "truncated archive" "$w/t.npz" "mcunet-nas: $w/t.npz: not a ZIP archive or truncated (no end-of-central-directory record)"
"$py" "$nw" gen "$cfgdir/mcunet-5fps_imagenet.json" "$w/o.npz" 3
refuse "another architecture's weights" "$w/o.npz" "mcunet-nas: $w/o.npz: key 'first_conv.conv.weight': shape (16, 3, 3, 3), the architecture needs (24, 3, 3, 3)"
head -c 1000 "$w/in0/img.raw" > "$w/short.raw"
rm -f "$w/bad.onnx"
"$bin/mcunet-nas" export "$cfg" --weights "$w/in0/w.npz" --calib "$w/short.raw" -o "$w/bad.onnx" 2> "$w/err" >/dev/null
[[ $? == 1 && ! -e $w/bad.onnx ]] && grep -q "1000 bytes is not a whole number (1..100000) of float32 NHWC images of 48x48x3 (27648 bytes each)" "$w/err" &&
  ok "a short calibration file is refused: $(cat "$w/err")" || fail "short calibration file: $(cat "$w/err")"
finish
