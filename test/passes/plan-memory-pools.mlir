// RUN: %mcunet-opt %s --plan-memory | FileCheck %s
// RUN: not %mcunet-opt %S/Inputs/plan-memory-pools-overflow.mlir --plan-memory 2>&1 | FileCheck %s --check-prefix=FULL

// Two pools (as mcunetc --pool fast:256 --pool slow:1024 sets them). Every matmul here has no constant operand, so
// a layer's work is its 256 result elements. Heat: %a is written once and read by three layers (1024, 4 per
// byte); %b, %c, %d are written and read once (512, 2 per byte). Lifetimes: %a [0,4], %b [1,2], %c [2,3],
// %d [3,4]. The fast pool takes %a (256 bytes); %b would need 512 with it, and so would %c and %d, so they go to
// the slow pool, where %b and %d share offset 0 and %c sits at 256: pool sizes 256 and 512, the arena 768.
// CHECK-LABEL: module attributes {
// CHECK-SAME: mcu.arena_size = 768 : i64
// CHECK-SAME: mcu.pool_sizes = array<i64: 256, 512>
// CHECK: %[[A:.*]] = "mcu.matmul"
// CHECK-SAME: mcu.offset = 0 : i64, mcu.pool = "fast"
// CHECK: "mcu.matmul"
// CHECK-SAME: mcu.offset = 0 : i64, mcu.pool = "slow"
// CHECK: "mcu.matmul"
// CHECK-SAME: mcu.offset = 256 : i64, mcu.pool = "slow"
// CHECK: "mcu.matmul"
// CHECK-SAME: mcu.offset = 0 : i64, mcu.pool = "slow"
// The model output takes no pool.
// CHECK: "mcu.matmul"
// CHECK-NOT: mcu.pool
// CHECK: return
module attributes {mcu.pool_names = ["fast", "slow"], mcu.pool_capacities = array<i64: 256, 1024>} {
  func.func @main(%x: tensor<16x16xi8>) -> tensor<16x16xi8> {
    %a = "mcu.matmul"(%x, %x) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %b = "mcu.matmul"(%x, %x) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %c = "mcu.matmul"(%a, %b) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %d = "mcu.matmul"(%a, %c) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %e = "mcu.matmul"(%a, %d) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    return %e : tensor<16x16xi8>
  }
}
// FULL: the arena buffers do not fit the pools by 212 bytes (the last pool needs 512, holds 300)
