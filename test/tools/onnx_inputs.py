#!/usr/bin/python3
# onnx_inputs.py: prints the graph input names of an ONNX model (initializers excluded), one a line, in model order.
"""Usage: onnx_inputs.py MODEL.onnx   (run with /usr/bin/python3). Used by the end-to-end tests to bind inputs by
their real names instead of names written into the test."""
import sys

import onnx


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    m = onnx.load(argv[1])
    inits = {t.name for t in m.graph.initializer}
    for i in m.graph.input:
        if i.name not in inits:
            print(i.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
