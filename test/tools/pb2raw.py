#!/usr/bin/python3
# pb2raw.py: converts an ONNX TensorProto file (.pb) to the raw little-endian bytes of its data, for comparing outputs.
"""Usage: pb2raw.py IN.pb OUT.bin        writes the tensor's elements, row-major, little-endian
          pb2raw.py --info IN.pb         prints "DTYPE D0xD1x..." (e.g. "uint8 2x3") and nothing else

Run with /usr/bin/python3 (Debian's onnx). Any data field (raw_data, float_data, int32_data, ...) is accepted,
because onnx.numpy_helper decodes them all. Exit status 1 with one line on stderr if the file is not a tensor."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    try:
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        a = numpy_helper.to_array(t)
    except Exception as e:  # a parse error or an unsupported type: one clear line
        sys.exit("pb2raw: %s: not an ONNX TensorProto (%s)" % (path, e))
    return a


def main(argv):
    if len(argv) == 3 and argv[1] == "--info":
        a = load(argv[2])
        print("%s %s" % (a.dtype.name, "x".join(str(d) for d in a.shape) or "scalar"))
        return 0
    if len(argv) != 3 or argv[1].startswith("-"):
        sys.exit(__doc__)
    a = load(argv[1])
    with open(argv[2], "wb") as f:
        f.write(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
