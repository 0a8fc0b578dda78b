"""``FaceTracker``: faces in a camera stream, one search per person, action liveness, events.

Per frame (:meth:`FaceTracker.process`):

1. Scene cut? (``_core.SceneCutDetector``, colour histograms): every track ends
   (``track_ended`` reason ``scene_cut``), so no identity crosses a cut.
2. Detection. The whole frame every ``detect_every`` frames, on the first frame, after a cut,
   whenever a track went unseen in the previous frame, and when the crops would cover most of
   the frame anyway; in between, YuNet runs only in a crop around each track's predicted box
   (``crop_margin`` times the box size on every side): a local re-detection, much cheaper than
   the full frame, which also gives fresh landmarks for alignment and liveness. Faces touching
   a crop's inner edge are dropped (they may be cut off).
3. Association (``_core.Tracker``, C++): IoU, size and landmark gates against the
   constant-velocity prediction; stable ids; a track is confirmed after ``min_hits`` detections
   (``track_started``) and ends after ``max_missed`` frames unseen (``track_ended`` ``lost``).
4. Best shot: each detection's quality (:func:`~.track_state.shot_quality`: size, blur, pose
   from the engine's figures); the best one's aligned crop is kept.
5. Identity, one embedding and one library search per track: as soon as a shot reaches
   ``good_quality``, or after ``patience`` detections with the best shot so far (if it reaches
   ``min_quality``). Re-check policy: search again (at most ``max_rechecks`` times) when the
   best shot improves on the searched one by ``recheck_gain``. Re-verification: a track has a
   reference embedding once searched (the searched shot) or once given a liveness verdict (the
   face at that frame); every ``reverify_every`` frames, and at once when the face's 16x16
   grey thumbnail correlates with the previous detection's under ``appearance_trigger`` (a
   cheap trigger: it fires a few times in a shot of one talking person, and each time costs one
   embedding), the current face (if good enough) is embedded and compared with the reference:
   a cosine under ``reverify_cosine`` means another face took the track's place
   (``track_ended`` ``appearance_jump``; the newcomer starts a new track and is searched and
   liveness-checked anew). No re-check and no ``access`` while a triggered check waits for a
   good enough frame. A track without a reference yet forgets its best shot and its liveness
   evidence on a trigger instead.
   Faces smaller than ``search_min_size`` are tracked but never searched.
6. Action liveness (:mod:`.action_liveness`) on tracks of at least ``liveness_min_size`` px:
   66 landmarks and the MiniFASNet score per frame, batched over the tracks, until a verdict
   (``live`` / ``spoof``).
7. ``access`` once per track when it is recognised and live (recognised alone when liveness is
   off); callbacks registered with :meth:`FaceTracker.on_event` / :meth:`FaceTracker.on_access`
   run on the calling thread.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _runtime
from ..engine import ARCFACE_TEMPLATE_112, FaceEngine
from ..errors import FaceEdgeError, error
from ..models import ModelsArg, find_model, load_manifest
from .action_liveness import ActionLiveness, ActionLivenessSettings
from .events import StreamEvent
from .track_state import TrackState, TrackView, shot_quality

__all__ = ["FaceTracker", "StreamSettings", "FrameResult"]

LANDMARK_MODEL = "openseeface_lm0"


@dataclass(frozen=True)
class StreamSettings:
    """The policy of a :class:`FaceTracker` (see the module docstring for what each does)."""

    detect_every: int = 5           # full-frame detection period, frames
    max_faces: int = 20             # faces per full-frame detection
    detect_threshold: float = 0.7   # YuNet score (the profile and small faces of the test clip
    #                                 score 0.80..0.93)
    min_face_size: float = 16.0     # shorter box side, px, below which detections are ignored
    crop_margin: float = 0.6        # local detection area around a predicted box, box sizes
    max_crop_fraction: float = 0.6  # crops above this fraction of the frame: detect it all
    min_iou: float = 0.3            # association gates (C++ TrackerSettings)
    max_missed: int = 6
    min_hits: int = 3
    search_min_size: float = 40.0   # faces under this are tracked, never searched
    match_threshold: float = 80.0   # library score to be recognised
    good_quality: float = 0.55      # a shot this good is searched at once
    min_quality: float = 0.15       # the best shot must reach this to be searched at all
    patience: int = 8               # detections before the best shot so far is searched
    recheck_gain: float = 0.2       # best shot better than the searched one by this: search again
    max_rechecks: int = 2
    reverify_every: int = 45        # frames between re-verifications of a searched track (0: off)
    reverify_cosine: float = 0.3    # under this the face in the track is another person (SFace:
    #                                 different people <= 0.27, one person's photos >= 0.50)
    appearance_trigger: float = 0.6  # face thumbnail correlation with the previous detection
    #                                  under which the track is re-verified at once
    scene_cut_threshold: float = 0.1
    liveness: bool = True           # action liveness (needs the landmark and liveness models)
    liveness_min_size: float = 48.0
    action: ActionLivenessSettings = field(default_factory=ActionLivenessSettings)
    fps: float = 30.0               # timestamps when the caller gives none

    def __post_init__(self) -> None:
        if self.detect_every < 1 or self.max_faces < 1 or self.max_rechecks < 0 \
                or self.patience < 1 or self.reverify_every < 0 or self.fps <= 0:
            raise error(229014, f"stream settings out of range: {self}")
        if not 0 <= self.match_threshold <= 100:
            raise error(222030, f"match_threshold must be 0..100, got {self.match_threshold}")


@dataclass(frozen=True)
class FrameResult:
    """What one frame gave: its events, the tracks as they stand, and how it was processed."""

    frame_index: int
    timestamp: float
    events: List[StreamEvent]
    tracks: List[TrackView]
    full_detection: bool
    scene_cut: bool
    end_of_stream: bool = False  # no frame: the tracks ended because the stream did


EventCallback = Callable[[StreamEvent], None]


class FaceTracker:
    """Tracks the faces of a stream and reports who they are and whether they are live.

    One FaceTracker follows one stream, fed from one thread (the engine and library it uses
    may be shared with other trackers and threads).

    Args:
        engine: the FaceEngine that detects, measures and embeds.
        library: a FaceLibrary to search (None: tracking and liveness only, no identities).
        group_id: the group(s) searched (a comma-separated str or a list), required with a
            library.
        settings: :class:`StreamSettings` (keyword arguments override single fields).
        models: where to find the landmark model (``openseeface_lm0``) for action liveness,
            as for FaceEngine; it is not in the default pack.

    Raises:
        ModelError: 229001 when liveness is on and the landmark model cannot be found.
        InvalidParameterError: 229014 bad settings or arguments; NotFoundError 223100 a group
            that does not exist.
    """

    def __init__(self, engine: FaceEngine, library=None,
                 group_id: Union[None, str, Sequence[str]] = None,
                 settings: Optional[StreamSettings] = None, models: ModelsArg = None,
                 **overrides) -> None:
        if not isinstance(engine, FaceEngine):
            raise error(229014, f"engine must be a faceedge.FaceEngine, got {type(engine).__name__}")
        settings = settings or StreamSettings()
        if overrides:
            unknown = set(overrides) - set(StreamSettings.__dataclass_fields__)
            if unknown:
                raise error(229014, f"unknown stream settings: {', '.join(sorted(unknown))}")
            settings = replace(settings, **overrides)
        self.settings = settings
        self._engine = engine
        self._core = _runtime.core()
        self._library = library
        self._groups: Optional[List[str]] = None
        if library is not None:
            if not group_id:
                raise error(229014, "a library needs group_id: the group(s) to search")
            self._groups = ([g.strip() for g in group_id.split(",") if g.strip()]
                            if isinstance(group_id, str) else list(group_id))
            library.search_vectors(np.zeros((0, engine.embedding_dim), np.float32), self._groups)
        self._landmarks = None
        if settings.liveness:
            entry = load_manifest().get(LANDMARK_MODEL)
            try:
                path = find_model(LANDMARK_MODEL, models)
            except FaceEdgeError as exc:
                if exc.error_code != 229001:
                    raise
                raise error(229001, "action liveness needs the landmark model "
                                    f"{LANDMARK_MODEL} ({entry.file}), which is not in the "
                                    "default pack: pass models= (--models DIR) where it is, or "
                                    "liveness=False (--no-liveness). " + exc.error_msg) from None
            self._landmarks = self._core.Landmarks(entry.family, str(path))
            engine.liveness_thresholds()  # a pack without a liveness set fails here, not later
        self._tracker = self._core.Tracker(min_iou=settings.min_iou,
                                           max_missed=settings.max_missed,
                                           min_hits=settings.min_hits)
        self._scene = self._core.SceneCutDetector(settings.scene_cut_threshold)
        self._states: Dict[int, TrackState] = {}
        self._frame_index = 0
        self._last_full = -10 ** 9
        self._force_full = True
        self._listeners: List[EventCallback] = []
        self._access_listeners: List[EventCallback] = []
        self.embeddings = 0  # embedder runs so far (searches and re-verifications)

    # ---- callbacks ----------------------------------------------------------------------------

    def on_event(self, callback: EventCallback) -> EventCallback:
        """Calls ``callback(event)`` for every event (usable as a decorator)."""
        self._listeners.append(callback)
        return callback

    def on_access(self, callback: EventCallback) -> EventCallback:
        """Calls ``callback(event)`` for ``access`` events only: a recognised live user (the
        gate relay). Usable as a decorator."""
        self._access_listeners.append(callback)
        return callback

    # ---- the stream ---------------------------------------------------------------------------

    def run(self, frames: Iterable) -> Iterator[FrameResult]:
        """Processes every frame of ``frames`` (numpy BGR frames, or ``(frame, timestamp)``
        pairs as a :class:`~faceedge.stream.VideoSource` yields). At the end the tracks end
        (``track_ended`` reason ``stopped``), reported in one last result with
        ``end_of_stream`` set and no frame behind it."""
        last_ts = 0.0
        for item in frames:
            if isinstance(item, tuple):
                result = self.process(item[0], timestamp=item[1])
            else:
                result = self.process(item)
            last_ts = result.timestamp
            yield result
        yield FrameResult(frame_index=self._frame_index, timestamp=last_ts, events=self.close(),
                          tracks=[], full_detection=False, scene_cut=False, end_of_stream=True)

    def close(self, timestamp: Optional[float] = None) -> List[StreamEvent]:
        """Ends every track (``track_ended`` reason ``stopped``); returns those events."""
        events: List[StreamEvent] = []
        ts = timestamp if timestamp is not None else self._frame_index / self.settings.fps
        self._end_all(events, "stopped", self._frame_index, ts)
        self._emit(events)
        return events

    def process(self, frame: np.ndarray, timestamp: Optional[float] = None) -> FrameResult:
        """One frame (BGR uint8 HxWx3): track, identify, check liveness; returns the events."""
        img = _check_frame(frame)
        s = self.settings
        idx = self._frame_index
        self._frame_index += 1
        ts = float(timestamp) if timestamp is not None else idx / s.fps
        events: List[StreamEvent] = []
        cut = bool(self._scene.observe(img))
        if cut:
            self._end_all(events, "scene_cut", idx, ts)
            self._force_full = True
        self._tracker.predict()
        boxes, scores, landmarks, angles, full = self._detect(img, idx)
        step = self._tracker.update(boxes, scores, landmarks)
        for tid in step["ended"]:
            state = self._states.pop(int(tid), None)
            if state is not None:
                events.append(self._event("track_ended", state, idx, ts, reason="lost"))
        tracks = self._tracker.tracks
        missed = {int(t): int(m) for t, m in zip(tracks["ids"], tracks["missed"])}
        track_boxes = {int(t): tuple(float(v) for v in b)
                       for t, b in zip(tracks["ids"], tracks["boxes"])}
        for tid in step["confirmed"]:
            state = TrackState(track_id=int(tid), started_frame=idx, box=track_boxes[int(tid)])
            if s.liveness:
                state.liveness = ActionLiveness(s.action)
            self._states[int(tid)] = state
            events.append(self._event("track_started", state, idx, ts))
        rows = {int(t): i for i, t in enumerate(step["detection_track"])
                if int(t) in self._states}
        for tid, state in self._states.items():
            state.box = track_boxes.get(tid, state.box)
            state.missed = missed.get(tid, 0)
        if rows:
            self._observe(img, idx, ts, rows, boxes, landmarks, angles, events)
        self._force_full = any(m > 0 for m in missed.values())
        self._emit(events)
        return FrameResult(frame_index=idx, timestamp=ts, events=events,
                           tracks=self.track_views(), full_detection=full, scene_cut=cut)

    def track_views(self) -> List[TrackView]:
        """The confirmed tracks as they stand."""
        views = []
        for state in self._states.values():
            live = state.liveness
            identity = state.decided or ("pending" if self._library is not None else "not_searched")
            views.append(TrackView(
                track_id=state.track_id, box=state.box, coasting=state.missed > 0,
                identity=identity,
                user_id=state.identity.user_id if state.identity is not None else None,
                score=(state.identity.score if state.identity is not None
                       else state.nearest_score),
                liveness=live.verdict if live is not None and live.frames else None,
                live_score=live.live_score if live is not None and live.frames else None,
                searches=state.searches, detections=state.detections))
        return views

    # ---- steps --------------------------------------------------------------------------------

    def _detect(self, img: np.ndarray, idx: int):
        """Detections of this frame (full frame or crops around the predicted boxes)."""
        s = self.settings
        h, w = img.shape[:2]
        predicted = self._tracker.tracks["boxes"]
        full = (self._force_full or len(predicted) == 0 or idx - self._last_full >= s.detect_every)
        crops: List[Tuple[int, int, int, int]] = []
        if not full:
            for x, y, bw, bh in predicted:
                m = s.crop_margin * max(bw, bh)
                crops.append((int(max(0, x - m)), int(max(0, y - m)),
                              int(min(w, x + bw + m)), int(min(h, y + bh + m))))
            crops = [c for c in crops if c[2] - c[0] >= 8 and c[3] - c[1] >= 8]
            area = sum((c[2] - c[0]) * (c[3] - c[1]) for c in crops)
            full = not crops or area > s.max_crop_fraction * w * h
        if full:
            self._last_full = idx
            raw = self._engine.core.detect(img, s.max_faces, 0, s.min_face_size,
                                           s.detect_threshold)
            return (raw["boxes"], raw["scores"], raw["landmarks"], raw["angles"], True)
        parts = []
        for x0, y0, x1, y1 in crops:
            raw = self._engine.core.detect(img[y0:y1, x0:x1], 3, 0, s.min_face_size,
                                           s.detect_threshold)
            for i in range(len(raw["boxes"])):
                bx, by, bw, bh = (float(v) for v in raw["boxes"][i])
                # A face touching an inner edge of the crop may be cut off: the full-frame
                # pass will see it whole.
                if (bx <= 1 and x0 > 0) or (by <= 1 and y0 > 0) or \
                        (bx + bw >= x1 - x0 - 1 and x1 < w) or (by + bh >= y1 - y0 - 1 and y1 < h):
                    continue
                parts.append((np.array([bx + x0, by + y0, bw, bh], np.float32),
                              float(raw["scores"][i]),
                              raw["landmarks"][i] + np.array([x0, y0], np.float32),
                              raw["angles"][i]))
        if not parts:
            return (np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                    np.zeros((0, 5, 2), np.float32), np.zeros((0, 3), np.float32), False)
        return (np.stack([p[0] for p in parts]), np.array([p[1] for p in parts], np.float32),
                np.stack([p[2] for p in parts]).astype(np.float32),
                np.stack([p[3] for p in parts]).astype(np.float32), False)

    def _observe(self, img, idx, ts, rows: Dict[int, int], boxes, landmarks, angles,
                 events: List[StreamEvent]) -> None:
        """Best shot, identity and liveness of the tracks detected in this frame."""
        s = self.settings
        order = list(rows.items())
        sel = [i for _, i in order]
        q = self._core.face_quality(img, np.ascontiguousarray(boxes[sel], dtype=np.float32),
                                    np.ascontiguousarray(landmarks[sel], dtype=np.float32))
        live_rows = []
        for k, (tid, i) in enumerate(order):
            state = self._states[tid]
            state.detections += 1
            size = float(q["size"][k])
            quality = shot_quality(size, float(q["blur"][k]), float(angles[i][0]),
                                   float(angles[i][1]))
            lm5 = np.ascontiguousarray(landmarks[i], dtype=np.float32)
            thumb = _thumbnail(img, boxes[i])
            if state.thumbnail is not None and float(thumb @ state.thumbnail) < s.appearance_trigger:
                if state.embedding is not None:
                    state.verify_pending = True
                else:  # no reference face yet: the best shot and the liveness evidence so
                    # far may come from another face; start both again
                    state.best_quality, state.best_crop = -1.0, None
                    if state.liveness is not None:
                        state.liveness = ActionLiveness(s.action)
            state.thumbnail = thumb
            if size >= s.search_min_size and quality > state.best_quality:
                state.best_quality = quality
                state.best_crop = self._core.align_face(img, lm5)
            if state.embedding is not None and self._verify(state, img, lm5, quality, idx, ts,
                                                            events):
                continue  # ended: another face took the track's place
            if size >= s.search_min_size and self._library is not None:
                self._identify(state, quality, idx, ts, events)
            if state.liveness is not None and state.liveness.verdict == "pending" \
                    and size >= s.liveness_min_size:
                live_rows.append((tid, i))
        if live_rows:
            self._check_liveness(img, idx, ts, live_rows, boxes, landmarks, events)
        for tid in [t for t, _ in order]:
            state = self._states.get(tid)
            if state is not None:
                self._maybe_access(state, idx, ts, events)

    def _verify(self, state: TrackState, img, lm5, quality: float, idx: int, ts: float,
                events: List[StreamEvent]) -> bool:
        """Re-verification (when the appearance jumped, or periodically): the current face's
        embedding against the track's reference one. True when the track ended."""
        s = self.settings
        due = state.verify_pending or (s.reverify_every
                                       and idx - state.last_verified >= s.reverify_every)
        if not due or quality < s.min_quality:
            return False
        state.verify_pending = False
        state.last_verified = idx
        cosine = float(np.dot(self._embed(self._core.align_face(img, lm5)), state.embedding))
        if cosine >= s.reverify_cosine:
            return False
        self._tracker.end_track(state.track_id)
        self._states.pop(state.track_id, None)
        events.append(self._event("track_ended", state, idx, ts, reason="appearance_jump",
                                  details={"cosine": round(cosine, 3)}))
        return True

    def _identify(self, state: TrackState, quality: float, idx: int, ts: float,
                  events: List[StreamEvent]) -> None:
        """The first search when a good enough shot is there; re-checks on better shots."""
        s = self.settings
        if state.searched_quality is None:
            due = quality >= s.good_quality or (state.detections >= s.patience
                                                and state.best_quality >= s.min_quality)
            if due:
                self._search(state, idx, ts, events, "first")
            return
        if state.verify_pending:
            return  # a newcomer's better shot must not re-label the track before the check
        if state.searches - 1 < s.max_rechecks and \
                state.best_quality >= state.searched_quality + s.recheck_gain:
            self._search(state, idx, ts, events, "better_shot")

    def _embed(self, crop: np.ndarray) -> np.ndarray:
        self.embeddings += 1
        return np.asarray(self._engine.core.embed(crop, ARCFACE_TEMPLATE_112[None]),
                          dtype=np.float32)[0]

    def _search(self, state: TrackState, idx: int, ts: float, events: List[StreamEvent],
                why: str) -> None:
        """One embedding of the best shot and one library search; an event when the answer
        is new (first search, or a re-check that changed it)."""
        vector = self._embed(state.best_crop)
        state.searches += 1
        state.searched_quality = state.best_quality
        state.embedding = vector
        state.last_verified = idx
        hits = self._library.search_vectors(vector[None], self._groups, match_threshold=0,
                                            max_user_num=1)[0]
        best = hits[0] if hits else None
        state.nearest_score = best.score if best is not None else None
        accepted = best if best is not None and best.score >= self.settings.match_threshold \
            else None
        before = (state.decided, state.identity.user_id if state.identity else None)
        state.identity = accepted
        state.decided = "recognised" if accepted is not None else "stranger"
        if (state.decided, accepted.user_id if accepted else None) == before:
            return
        if accepted is not None:
            events.append(self._event("recognised", state, idx, ts, reason=why,
                                      details={"quality": round(state.searched_quality, 3)}))
        else:
            events.append(self._event("stranger", state, idx, ts, reason=why,
                                      details={"quality": round(state.searched_quality, 3)}))

    def _check_liveness(self, img, idx, ts, live_rows, boxes, landmarks, events) -> None:
        """66 landmarks and the passive score of every pending track, one batch each. A track
        given a verdict before any search gets a reference embedding of its face now, so that
        re-verification can tell when another face takes its place."""
        sel = np.ascontiguousarray(boxes[[i for _, i in live_rows]], dtype=np.float32)
        points, _ = self._landmarks.locate(img, sel)
        passive = self._engine.live_scores(img, sel)
        for k, (tid, i) in enumerate(live_rows):
            state = self._states[tid]
            verdict = state.liveness.observe(points[k], float(passive[k]))
            if verdict != "pending":
                if state.embedding is None:
                    lm5 = np.ascontiguousarray(landmarks[i], dtype=np.float32)
                    state.embedding = self._embed(self._core.align_face(img, lm5))
                    state.last_verified = idx
                events.append(self._event(verdict, state, idx, ts, reason=state.liveness.reason,
                                          details=state.liveness.summary()))

    def _maybe_access(self, state: TrackState, idx: int, ts: float,
                      events: List[StreamEvent]) -> None:
        if state.access_sent or state.identity is None or state.verify_pending:
            return
        if state.liveness is not None and state.liveness.verdict != "live":
            return
        state.access_sent = True
        events.append(self._event("access", state, idx, ts))

    # ---- helpers ------------------------------------------------------------------------------

    def _end_all(self, events: List[StreamEvent], reason: str, idx: int, ts: float) -> None:
        self._tracker.end_all()
        for state in self._states.values():
            events.append(self._event("track_ended", state, idx, ts, reason=reason))
        self._states.clear()

    def _event(self, kind: str, state: TrackState, idx: int, ts: float,
               reason: Optional[str] = None, details: Optional[dict] = None) -> StreamEvent:
        who = state.identity
        live = state.liveness
        return StreamEvent(
            kind=kind, track_id=state.track_id, frame_index=idx, timestamp=ts, box=state.box,
            user_id=who.user_id if who else None, group_id=who.group_id if who else None,
            user_info=who.user_info if who else None,
            score=who.score if who else (state.nearest_score if kind == "stranger" else None),
            live_score=live.live_score if live is not None and live.frames else None,
            reason=reason, details=details or {})

    def _emit(self, events: List[StreamEvent]) -> None:
        for event in events:
            for callback in self._listeners:
                callback(event)
            if event.kind == "access":
                for callback in self._access_listeners:
                    callback(event)


def _thumbnail(img: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The face box as a 16x16 grey patch, zero mean, unit norm (for a correlation)."""
    import cv2

    h, w = img.shape[:2]
    x0, y0 = int(max(0, box[0])), int(max(0, box[1]))
    x1, y1 = int(min(w, box[0] + box[2])), int(min(h, box[1] + box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros(256, np.float32)
    grey = cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    patch = cv2.resize(grey, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    patch -= patch.mean()
    norm = float(np.linalg.norm(patch))
    return patch / norm if norm > 0 else patch


def _check_frame(frame: object) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 \
            or frame.shape[2] != 3:
        what = (f"{frame.dtype} array of shape {frame.shape}" if isinstance(frame, np.ndarray)
                else type(frame).__name__)
        raise error(216201, f"a frame must be a BGR uint8 array of shape (height, width, 3), "
                            f"got {what}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise error(216202, f"the frame has no pixels (shape {frame.shape})")
    return np.ascontiguousarray(frame)
