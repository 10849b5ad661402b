// RUN: %mcunet-opt %s --plan-memory | FileCheck %s

// Five activations of a chain where each layer reads the previous one's output (A..E, written at layers 0-4),
// sizes 112, 64, 32, 96, 64 bytes, E also read by layer 6: lifetimes A [0,1], B [1,2], C [2,3], D [3,4], E [4,6].
// The most bytes live at one layer are A + B = 176 at layer 1 (the lower bound). Greedy by size places A 0,
// D 0, B 112, E 96 (above D), C 176 (the 16-byte hole between D and B is too small): 208. Greedy by conflicts
// also ends at 208, best fit at 192; the exact search reaches the lower bound, 176, and wins. The constant takes
// no layer step: the steps in mcu.live are layer indices.
// CHECK-LABEL: module attributes {mcu.arena_lower_bound = 176 : i64, mcu.arena_peak_step = 1 : i64, mcu.arena_size = 176 : i64, mcu.arena_strategy = "exact", mcu.arena_strategy_peaks = array<i64: 208, 208, 192, 176, -1>, mcu.tables_bytes = 0 : i64}
// CHECK: %[[A:.*]] = "mcu.matmul"
// CHECK-SAME: mcu.live = array<i64: 0, 1>, mcu.offset = 0 : i64
// CHECK: "mcu.constant"
// CHECK-NOT: mcu.live
// CHECK: %[[B:.*]] = "mcu.matmul"(%[[A]]
// CHECK-SAME: mcu.live = array<i64: 1, 2>, mcu.offset = 112 : i64
// CHECK: %[[C:.*]] = "mcu.matmul"(%[[B]]
// CHECK-SAME: mcu.live = array<i64: 2, 3>, mcu.offset = 0 : i64
// CHECK: %[[D:.*]] = "mcu.matmul"(%[[C]]
// CHECK-SAME: mcu.live = array<i64: 3, 4>, mcu.offset = 64 : i64
// CHECK: %[[E:.*]] = "mcu.matmul"(%[[D]]
// CHECK-SAME: mcu.live = array<i64: 4, 6>, mcu.offset = 0 : i64
// Model outputs take no arena and no lifetime.
// CHECK: "mcu.matmul"
// CHECK-NOT: mcu.live
// CHECK: return
func.func @main(%x: tensor<16xi8>) -> (tensor<16xi8>, tensor<16xi8>) {
  %a = "mcu.matmul"(%x, %x) : (tensor<16xi8>, tensor<16xi8>) -> tensor<112xi8>
  %w = "mcu.constant"() {value = dense<1> : tensor<16xi8>} : () -> tensor<16xi8>
  %b = "mcu.matmul"(%a, %w) : (tensor<112xi8>, tensor<16xi8>) -> tensor<64xi8>
  %c = "mcu.matmul"(%b, %x) : (tensor<64xi8>, tensor<16xi8>) -> tensor<32xi8>
  %d = "mcu.matmul"(%c, %x) : (tensor<32xi8>, tensor<16xi8>) -> tensor<96xi8>
  %e = "mcu.matmul"(%d, %x) : (tensor<96xi8>, tensor<16xi8>) -> tensor<64xi8>
  %o1 = "mcu.matmul"(%x, %x) : (tensor<16xi8>, tensor<16xi8>) -> tensor<16xi8>
  %o2 = "mcu.matmul"(%e, %x) : (tensor<64xi8>, tensor<16xi8>) -> tensor<16xi8>
  return %o1, %o2 : tensor<16xi8>, tensor<16xi8>
}
