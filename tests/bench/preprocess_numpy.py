"""Naive NumPy preprocessing, the baseline of `ptycholive-bench preprocess`.

The routine the reference beamline ran on every raw frame: subtract the float32 dark from
the whole frame, clamp at 0, crop around the centre, then bin by summing b x b blocks.
Frames and dark are random (seeded), so no input file is needed; only the processing loop
over a small ring of pre-generated frames is timed. Prints one JSON object.
"""

import argparse
import json
import time

import numpy as np

RING = 8


def preprocess(frame, dark, row0, col0, crop, binning):
    """One frame as the beamline did it: dark over the whole frame, then crop and bin."""
    signal = np.maximum(frame.astype(np.float32) - dark, 0)
    roi = signal[row0:row0 + crop, col0:col0 + crop]
    m = crop // binning
    return roi.reshape(m, binning, m, binning).sum(axis=(1, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2048, help="detector rows")
    parser.add_argument("--cols", type=int, default=2048, help="detector columns")
    parser.add_argument("--crop", type=int, default=512, help="side of the centred crop")
    parser.add_argument("--bin", type=int, default=2, help="b: b x b pixels summed")
    parser.add_argument("--frames", type=int, default=16, help="at least this many frames")
    parser.add_argument("--seconds", type=float, default=1.0, help="at least this long")
    args = parser.parse_args()
    if (args.crop < 1 or args.bin < 1 or args.crop % args.bin
            or args.crop > min(args.rows, args.cols)):
        parser.error("need 1 <= crop <= rows, cols and bin dividing crop")

    rng = np.random.default_rng(20240611)
    frames = rng.integers(0, 4096, size=(RING, args.rows, args.cols), dtype=np.uint16)
    dark = rng.normal(100.0, 5.0, size=(args.rows, args.cols)).astype(np.float32)
    row0 = (args.rows - args.crop) // 2
    col0 = (args.cols - args.crop) // 2

    preprocess(frames[0], dark, row0, col0, args.crop, args.bin)
    done = 0
    start = time.perf_counter()
    elapsed = 0.0
    while done < args.frames or elapsed < args.seconds:
        preprocess(frames[done % RING], dark, row0, col0, args.crop, args.bin)
        done += 1
        elapsed = time.perf_counter() - start

    print(json.dumps({
        "frames_per_second": done / elapsed,
        "frames": done,
        "seconds": elapsed,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
