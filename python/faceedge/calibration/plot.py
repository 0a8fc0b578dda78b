"""DET plots of a calibration (PNG), drawn with matplotlib (the ``[plot]`` extra)."""
from __future__ import annotations

import os
from typing import Union

from ..errors import error
from .files import Calibration

__all__ = ["plot_calibration"]


def plot_calibration(cal: Calibration, path: Union[str, os.PathLike]) -> str:
    """Draw ``cal``'s curve to the PNG ``path``: FRR against FAR (faces), BPCER against APCER
    (liveness), recall against false detections per photo (detection). Returns the path.

    Raises:
        InvalidParameterError: 229014 when matplotlib is missing (``pip install
            'faceedge[plot]'``) or the file cannot be written.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise error(229014, "--plot needs matplotlib: pip install 'faceedge[plot]' "
                            f"({exc})") from None
    raw = cal.raw
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    try:
        if cal.kind == "faces":
            det = raw["det"]
            n, ng = raw["counts"]["impostor_pairs"], raw["counts"]["genuine_pairs"]
            # A log axis has no 0: a rate of 0 is drawn at half of one error (the floor lines).
            far_floor, frr_floor = 0.5 / n, 0.5 / ng
            ax.loglog([max(f, far_floor) for f in det["far"]],
                      [max(r, frr_floor) for r in det["frr"]], "-",
                      label="DET (0 drawn at half an error)")
            ax.axvline(3.0 / n, color="grey", ls=":", label=f"rule of three: 3/{n} pairs")
            s80 = raw["score80"]
            ax.plot([max(s80["far_observed"], far_floor)], [max(1 - s80["tar"], frr_floor)],
                    "o", label=f"score 80 (cosine {s80['cosine']:.3f})")
            ax.set_xlabel("false accept rate (FAR)")
            ax.set_ylabel("false reject rate (FRR)")
        elif cal.kind == "liveness":
            det = raw["det"]
            ax.plot(det["apcer"], det["bpcer"], "-", label="DET")
            for level, row in raw["levels"].items():
                ax.plot([row["apcer"]], [row["bpcer"]], "o",
                        label=f"{level} {row['key']} = {row['threshold']:.4f}")
            ax.set_xlabel("APCER (attacks accepted)")
            ax.set_ylabel("BPCER (live faces refused)")
        else:
            rows = raw["table"]
            ax.plot([r["false_per_image"] for r in rows], [r["recall"] for r in rows], "o-")
            # Thresholds landing on the same point share one label ("0.75-0.9").
            groups: dict = {}
            for r in rows:
                groups.setdefault((r["false_per_image"], r["recall"]), []).append(r["threshold"])
            for (x, y), ts in groups.items():
                text = f"{ts[0]:g}" if len(ts) == 1 else f"{min(ts):g}-{max(ts):g}"
                ax.annotate(text, (x, y), fontsize=7, textcoords="offset points",
                            xytext=(4, -10))
            ax.set_xlabel("false detections per photo")
            ax.set_ylabel("recall")
        ax.set_title(f"faceedge calibrate {cal.kind}: {cal.id}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        if cal.kind != "detection":
            ax.legend(fontsize=7)
        fig.tight_layout()
        try:
            fig.savefig(os.fspath(path), format="png")
        except OSError as exc:
            raise error(229014, f"cannot write the plot {os.fspath(path)!r}: "
                                f"{exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return os.fspath(path)
