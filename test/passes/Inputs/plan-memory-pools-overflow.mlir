// plan-memory-pools.mlir's graph with a slow pool of 300 bytes: its 512 bytes do not fit, by 212.
module attributes {mcu.pool_names = ["fast", "slow"], mcu.pool_capacities = array<i64: 256, 300>} {
  func.func @main(%x: tensor<16x16xi8>) -> tensor<16x16xi8> {
    %a = "mcu.matmul"(%x, %x) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %b = "mcu.matmul"(%x, %x) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %c = "mcu.matmul"(%a, %b) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %d = "mcu.matmul"(%a, %c) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    %e = "mcu.matmul"(%a, %d) : (tensor<16x16xi8>, tensor<16x16xi8>) -> tensor<16x16xi8>
    return %e : tensor<16x16xi8>
  }
}
