# per_layer_sums.awk: reads mcunet-run --per-layer output followed by a plain --count output; prints the number of
# layer lines, the sum of their instructions plus the glue, the printed total, the first and the second
# "instructions:" figures, and how many layers executed at least one instruction.
/^layer [0-9]+:/ { layers++; sum += $4; if ($4 > 0) nonzero++ }
/^glue:/ { sum += $3 }
/^total:/ { total = $3 }
/^instructions:/ { if (seen++) plain = $2; else instr = $2 }
END { printf "layers %d sum %d total %d instructions %d plain %d nonzero %d\n", layers, sum, total, instr, plain, nonzero }
