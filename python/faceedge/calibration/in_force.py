"""Which calibration an engine runs on: the manifest's measured points, or a site's files.

:class:`ScoreScale` is what sets Baidu's score 80 (the cosine at the embedder's FAR 1e-4 point)
and says what 60 / 70 / 80 / 90 mean. :class:`EngineCalibration` gathers what an engine was given
(``calibration=`` / ``$FACEEDGE_CALIBRATION``): a ``faces`` file replaces the score anchor, a
``liveness`` file the LOW / NORMAL / HIGH thresholds, a ``detection`` file the detector's score
threshold. A file made for other model files is refused (229030).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from ..errors import error
from ..models import Manifest, ModelEntry, ModelSet
from ..scores import cosine_from_score
from .files import Calibration, CalibrationArg, calibration_files
from .stats import upper_bound

__all__ = ["ScoreScale", "EngineCalibration", "SCORES_EXPLAINED", "manifest_scale",
           "file_scale", "site_scale", "det_threshold_in_force", "library_scale", "DEFAULT_DET_THRESHOLD"]

SCORES_EXPLAINED = (60, 70, 80, 90)


@dataclass(frozen=True)
class ScoreScale:
    """Score 80's cosine, where it comes from, and what each score means.

    ``calibrated`` is False when no false-accept rate was measured for the embedder (its anchor
    is a guess); every match / search reply then says so.
    """

    cosine: float
    id: str
    source: str                        # "manifest" or the calibration file's path
    calibrated: bool
    far: Optional[float]               # the FAR score 80 stands for (observed), when measured
    supported: bool                    # whether the pair count supports ``far`` (95 % bound)
    meanings: List[Dict[str, Any]] = field(default_factory=list, compare=False)

    def reply(self) -> Dict[str, Any]:
        """The ``calibration`` field of match / search replies."""
        return {"id": self.id, "calibrated": self.calibrated,
                "score80_cosine": round(self.cosine, 4), "far_at_80": self.far,
                "far_at_80_supported": self.supported}

    def info(self) -> Dict[str, Any]:
        return {**self.reply(), "source": self.source, "scores": self.meanings}


def manifest_scale(entry: ModelEntry, manifest: Optional[Manifest] = None) -> ScoreScale:
    """The scale of the manifest's calibration block of ``entry`` (an embedder); a block that
    is ``same_as`` another entry's (the upstream twin of a patched file) takes its measurements."""
    cal = entry.calibration
    t = entry.score80_cosine
    calibrated = bool(cal.get("calibrated"))
    measured = cal.get("measured") or {}
    if not measured and cal.get("same_as") and manifest is not None:
        measured = manifest.get(str(cal["same_as"])).calibration.get("measured") or {}
    if not calibrated:
        meanings = [{"score": s, "cosine": round(cosine_from_score(s, t), 4),
                     "far": "not measured: this embedder is uncalibrated"}
                    for s in SCORES_EXPLAINED]
        return ScoreScale(cosine=t, id=f"manifest:{entry.id}", source="manifest",
                          calibrated=False, far=None, supported=False, meanings=meanings)
    n = int(measured.get("impostor_pairs") or 0)
    highest = sorted((float(v) for v in measured.get("highest_impostor_cosines") or ()),
                     reverse=True)
    points = sorted(((float(p["cosine"]), float(p["far"])) for p in measured.get("points") or ()))
    meanings = [_bracket(s, cosine_from_score(s, t), points, highest, n)
                for s in SCORES_EXPLAINED]
    at80 = sum(1 for h in highest if h >= t)
    return ScoreScale(cosine=t, id=f"manifest:{entry.id}", source="manifest", calibrated=True,
                      far=float(cal.get("far")) if cal.get("far") is not None else None,
                      supported=bool(n) and upper_bound(at80, n) <= float(cal.get("far") or 0),
                      meanings=meanings)


def _bracket(score: float, c: float, points: Sequence[Any], highest: Sequence[float],
             n: int) -> Dict[str, Any]:
    """What the manifest's few measured points say about the FAR at cosine ``c``."""
    out: Dict[str, Any] = {"score": score, "cosine": round(c, 4)}
    if highest and c > points[-1][0]:
        # Above the last measured point only the listed highest impostor cosines can pass.
        k = sum(1 for h in highest if h >= c)
        ub = upper_bound(k, n)
        out.update(false_accepts=k, impostor_pairs=n, far_observed=k / n, far_upper_95=ub)
        out["far"] = (f"{k} of {n} different-person pairs reach it (observed {k / n:.1e}); "
                      f"95 % upper bound {ub:.1e}" +
                      ("; lower rates are not measurable with these pairs" if k == 0 else ""))
        return out
    for c_p, far_p in points:
        if abs(c - c_p) < 5e-4:
            out["far"] = f"{far_p:g} (the measured point, {n} different-person pairs)"
            if highest and c_p == points[-1][0]:  # the listed highest impostors lie above it
                k = sum(1 for h in highest if h >= c)
                out.update(false_accepts=k, impostor_pairs=n, far_observed=k / n,
                           far_upper_95=upper_bound(k, n))
                out["far"] += (f": {k} of them reach it (observed {k / n:.1e}), 95 % upper "
                               f"bound {upper_bound(k, n):.1e}")
            return out
    for (c_lo, far_lo), (c_hi, far_hi) in zip(points, points[1:]):
        if c_lo < c < c_hi:
            out["far"] = (f"between {far_hi:g} and {far_lo:g} (measured FAR {far_lo:g} at "
                          f"cosine {c_lo:.3f}, {far_hi:g} at {c_hi:.3f})")
            return out
    out["far"] = (f"above {points[0][1]:g} (measured FAR {points[0][1]:g} at {points[0][0]:.3f})"
                  if points else "not measured")
    return out


def file_scale(cal: Calibration) -> ScoreScale:
    """The scale of a ``faces`` calibration file."""
    s80 = cal.raw["score80"]
    meanings = []
    for row in cal.raw.get("scores") or ():
        k, n = int(row["false_accepts"]), int(row["impostor_pairs"])
        meanings.append({**row, "far": f"{k} of {n} different-person pairs reach it (observed "
                                       f"{k / n:.1e}); 95 % upper bound {row['far_upper_95']:.1e}"})
    return ScoreScale(cosine=float(s80["cosine"]), id=cal.id, source=str(cal.path or cal.id),
                      calibrated=True, far=float(s80["far"]), supported=bool(s80["supported"]),
                      meanings=meanings)


def site_scale(cal: Calibration, embedder: ModelEntry, manifest: Manifest) -> ScoreScale:
    """The score scale a ``faces`` file gives, guarded: a file whose counts do not support its
    score-80 FAR may make score 80 stricter than the manifest's measured anchor, never looser.
    A few hundred pairs put the "1e-4 point" at their highest impostor cosine, which says little
    about the next stranger; lowering the gate's bar on that would be a silent risk."""
    site = file_scale(cal)
    measured = manifest_scale(embedder, manifest)
    if site.supported or not measured.calibrated or site.cosine >= measured.cosine:
        return site
    warnings.warn(f"faceedge: calibration {cal.id} puts score 80 at cosine {site.cosine:.3f}, "
                  f"below the measured anchor {measured.cosine:.3f} of {embedder.id}, but its "
                  "pairs are too few to support that false-accept rate; score 80 stays at "
                  f"{measured.cosine:.3f} (a file may raise it; to lower it, it needs the pair "
                  "count its refusals name)", UserWarning, stacklevel=5)
    return measured


class EngineCalibration:
    """The calibration in force for one engine's models.

    Args:
        arg: ``FaceEngine(calibration=...)``: a path, a :class:`Calibration`, a parsed file, a
            list of them (one per kind), or None for ``$FACEEDGE_CALIBRATION``.
        manifest: the manifest, to recognise the upstream twin of a patched model file.
        embedder, detector: the engine's models.
        live_set: the engine's liveness set (or None).

    Raises:
        CalibrationError: 229030 a file made for other models; 229031 an unreadable file.
    """

    def __init__(self, arg: CalibrationArg, manifest: Manifest, embedder: ModelEntry,
                 detector: ModelEntry, live_set: Optional[ModelSet]) -> None:
        self.files: Dict[str, Calibration] = {c.kind: c for c in calibration_files(arg)}
        faces = self.files.get("faces")
        if faces is not None:
            _check_model(faces, "embedder", embedder, manifest)
            _warn_other_detector(faces, detector)
            self.score = site_scale(faces, embedder, manifest)
        else:
            self.score = manifest_scale(embedder, manifest)
        if not self.score.calibrated:
            warnings.warn(f"faceedge: embedder {embedder.id} is UNCALIBRATED: its score 80 "
                          f"(cosine {self.score.cosine:.3f}) is not a measured false-accept "
                          "point; run faceedge calibrate faces on your own photos and pass the "
                          "file as calibration=", UserWarning, stacklevel=4)
        for cal in self.files.values():
            _warn_refused(cal)
        self.liveness: Optional[Dict[str, float]] = None
        live = self.files.get("liveness")
        if live is not None:
            _check_liveness(live, live_set)
            self.liveness = {k: float(v) for k, v in live.raw["thresholds"].items()}
        self.det_threshold: Optional[float] = None
        det = self.files.get("detection")
        if det is not None:
            _check_model(det, "detector", detector, manifest)
            self.det_threshold = float(det.raw["det_threshold"])

    def reply(self) -> Dict[str, Any]:
        return self.score.reply()

    def info(self) -> Dict[str, Any]:
        """``FaceEngine.info()["calibration"]``: the score scale and every file in force."""
        return {"score": self.score.info(),
                "files": {kind: cal.summary() for kind, cal in self.files.items()}}


def _warn_refused(cal: Calibration) -> None:
    """A file whose counts refused some claims is used as measured, but never silently."""
    if cal.raw.get("refused"):
        warnings.warn(f"faceedge: calibration {cal.id} ({cal.kind}) is in force, but its counts "
                      f"{dict(cal.raw.get('counts') or {})} do not support: "
                      + " | ".join(cal.raw["refused"]), UserWarning, stacklevel=5)


def _same_network(manifest: Manifest, a: str, b: str) -> bool:
    """Whether manifest ids ``a`` and ``b`` are one network (a file and its patched copy)."""
    if a == b:
        return True
    try:
        ea, eb = manifest.get(a), manifest.get(b)
    except Exception:  # an id this manifest does not know
        return False
    return ea.embedding_space == eb.embedding_space and (ea.derived_from == b or
                                                         eb.derived_from == a)


def _check_model(cal: Calibration, role: str, entry: ModelEntry, manifest: Manifest) -> None:
    made = cal.models.get(role) or {}
    if made.get("sha256") == entry.sha256:
        return
    if role == "embedder" and _same_network(manifest, str(made.get("id")), entry.id):
        return
    raise error(229030, f"calibration {cal.id} ({cal.path or 'object'}) was made for {role} "
                        f"{made.get('id')} (sha256 {str(made.get('sha256'))[:16]}...), but this "
                        f"engine runs {entry.id} (sha256 {entry.sha256[:16]}...): its figures do "
                        f"not hold for these models; run faceedge calibrate {cal.kind} with them")


def _warn_other_detector(cal: Calibration, detector: ModelEntry) -> None:
    made = (cal.models.get("detector") or {}).get("sha256")
    if made and made != detector.sha256:
        warnings.warn(f"faceedge: calibration {cal.id} was measured with detector "
                      f"{cal.models['detector'].get('id')}, this engine runs {detector.id}: the "
                      "landmarks (and so the alignment) differ a little", UserWarning,
                      stacklevel=5)


def _check_liveness(cal: Calibration, live_set: Optional[ModelSet]) -> None:
    made = cal.models.get("liveness") or {}
    have = {e.id: e.sha256 for e in live_set.members} if live_set is not None else {}
    if dict(made.get("members") or {}) != have:
        raise error(229030, f"calibration {cal.id} ({cal.path or 'object'}) was made for "
                            f"liveness set {made.get('id')} ({sorted(made.get('members') or {})}),"
                            f" but this engine runs "
                            f"{live_set.id if live_set is not None else 'no liveness set'}: run "
                            "faceedge calibrate liveness with these models")



DEFAULT_DET_THRESHOLD = 0.8  # cpp/include/faceedge/types.h DetectOptions::score_threshold


def det_threshold_in_force(value: Optional[float], calibration: "EngineCalibration") -> float:
    """``FaceEngine(det_threshold=...)``, else a ``detection`` calibration's, else 0.8;
    229014 unless it is a number in (0, 1]."""
    if value is None:
        value = calibration.det_threshold if calibration.det_threshold is not None \
            else DEFAULT_DET_THRESHOLD
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not 0.0 < float(value) <= 1.0:
        raise error(229014, f"det_threshold must be a number in (0, 1], got {value!r}")
    return float(value)


def library_scale(engine: Any, calibration: CalibrationArg) -> ScoreScale:
    """The score scale a :class:`~faceedge.FaceLibrary` uses: its own ``faces`` calibration
    when given one (checked against the engine's embedder, 229030), else the engine's."""
    if calibration is None:
        return engine.calibration.score
    faces = [c for c in calibration_files(calibration) if c.kind == "faces"]
    if not faces:
        raise error(229014, "FaceLibrary(calibration=...) takes a faces calibration (the score "
                            "scale); liveness and detection files belong to the FaceEngine")
    from ..models import load_manifest

    manifest = load_manifest()
    embedder = manifest.get(engine.embedder_id)
    _check_model(faces[0], "embedder", embedder, manifest)
    _warn_refused(faces[0])
    return site_scale(faces[0], embedder, manifest)
