"""Camera streams: tracking, one search per person, action liveness, sources.

``FaceTracker`` (tracker.py) runs the per-frame policy over the C++ ``Tracker`` and
``SceneCutDetector``; ``ActionLiveness`` (action_liveness.py) decides live or spoof from many
frames; ``VideoSource`` (sources.py) reads files, cameras and RTSP without falling behind.
"""
from .action_liveness import ActionLiveness, ActionLivenessSettings
from .events import EVENT_KINDS, StreamEvent
from .sources import VideoSource, open_source
from .track_state import TrackView
from .tracker import FaceTracker, FrameResult, StreamSettings

__all__ = ["FaceTracker", "StreamSettings", "FrameResult", "StreamEvent", "EVENT_KINDS",
           "TrackView", "ActionLiveness", "ActionLivenessSettings", "VideoSource", "open_source"]
