"""Build the folder layouts ``faceedge calibrate`` reads from the repository's test photos.

    python tools/calibration_layouts.py TESTDATA OUT

TESTDATA is the test-photo folder (tests/data, or ../shared/testdata) with its manifest.json.
OUT gets:

* ``faces/<identity>/``: every single-face portrait of faces/ with a known identity (the
  aligned 112x112 crop and the 3061x4600 photo, over the 4096 px limit, are left out);
* ``liveness/live``, ``liveness/spoof``: the three Silent-Face samples by their label;
* ``detection_labelled/``: the photos with human-labelled boxes plus the no-face photos (no boxes),
  and their ``boxes.json``;
* ``detection_one_face/``: every photo of faces/ and liveness/ that holds exactly one face.

The README's calibration figures come from these layouts (tiny: they show the tool works and
what it refuses, not the engine's rates).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def build(testdata: Path, out: Path) -> None:
    manifest = json.loads((testdata / "manifest.json").read_text(encoding="utf-8"))
    images = manifest["images"]
    for item in images:
        src = testdata / item["file"]
        if item.get("category") == "portrait" and item.get("identity") and \
                item["file"].startswith("faces/"):
            _copy(src, out / "faces" / item["identity"])
        if item.get("liveness") in ("live", "spoof"):
            _copy(src, out / "liveness" / item["liveness"])
        if item.get("faces") == 1 and item["file"].startswith(("faces/", "liveness/")) and \
                item.get("category") != "aligned_crop_112":
            _copy(src, out / "detection_one_face")
    labelled = {}
    for item in images:
        if "boxes_xywh" in item or item.get("faces") == 0:
            _copy(testdata / item["file"], out / "detection_labelled")
            labelled[Path(item["file"]).name] = item.get("boxes_xywh", [])
    (out / "detection_labelled" / "boxes.json").write_text(json.dumps(labelled, indent=1))


def _copy(src: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, folder / src.name)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build(Path(sys.argv[1]), Path(sys.argv[2]))
