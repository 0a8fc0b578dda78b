"""Site calibration: measured thresholds for the embedder, the liveness set and the detector.

``faceedge calibrate faces|liveness|detection DIR`` (python/faceedge/cli/calibrate.py) and the
functions here turn a site's own labelled captures into a versioned JSON file
(:mod:`.files`) that ``FaceEngine(calibration=...)``, ``FaceLibrary``, the CLI's
``--calibration`` and ``faceedge serve`` load (:mod:`.in_force`). Rates come with their 95 %
upper bounds, and a claim the counts cannot support is refused (:mod:`.stats`).
"""
from .detection import calibrate_detection
from .faces import calibrate_faces
from .files import Calibration, load_calibration, write_calibration
from .in_force import EngineCalibration, ScoreScale
from .liveness import calibrate_liveness

__all__ = ["Calibration", "load_calibration", "write_calibration", "calibrate_faces",
           "calibrate_liveness", "calibrate_detection", "EngineCalibration", "ScoreScale"]
