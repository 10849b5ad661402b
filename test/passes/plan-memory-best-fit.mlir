// RUN: %mcunet-opt %s --plan-memory | FileCheck %s

// Lifetimes A 128 B [0,1], B 48 B [1,2], C 80 B [2,4], D 128 B [3,4]; the lower bound is C + D = 208 at layer 3.
// Greedy by size: A 0, D 0, B 128, C: clear of B [128,176) and D [0,128) only at 176: 256 (so does greedy by
// conflicts). Best fit, in order of first use: A 0, B 128, C into the gap below B (0, A is dead), D above C at 80:
// 208. The exact search also reaches 208, so the tie goes to best fit, the earlier strategy.
// CHECK-LABEL: module attributes {mcu.arena_lower_bound = 208 : i64, mcu.arena_peak_step = 3 : i64, mcu.arena_size = 208 : i64, mcu.arena_strategy = "best_fit", mcu.arena_strategy_peaks = array<i64: 256, 256, 208, 208, -1>, mcu.tables_bytes = 0 : i64}
// CHECK: mcu.live = array<i64: 0, 1>, mcu.offset = 0 : i64
// CHECK: mcu.live = array<i64: 1, 2>, mcu.offset = 128 : i64
// CHECK: mcu.live = array<i64: 2, 4>, mcu.offset = 0 : i64
// CHECK: mcu.live = array<i64: 3, 4>, mcu.offset = 80 : i64
func.func @main(%x: tensor<16xi8>) -> tensor<16xi8> {
  %a = "mcu.matmul"(%x, %x) : (tensor<16xi8>, tensor<16xi8>) -> tensor<128xi8>
  %b = "mcu.matmul"(%a, %x) : (tensor<128xi8>, tensor<16xi8>) -> tensor<48xi8>
  %c = "mcu.matmul"(%b, %x) : (tensor<48xi8>, tensor<16xi8>) -> tensor<80xi8>
  %d = "mcu.matmul"(%x, %x) : (tensor<16xi8>, tensor<16xi8>) -> tensor<128xi8>
  %o = "mcu.matmul"(%c, %d) : (tensor<80xi8>, tensor<128xi8>) -> tensor<16xi8>
  return %o : tensor<16xi8>
}
