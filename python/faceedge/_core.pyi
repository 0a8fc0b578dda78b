"""Type stubs for the compiled core (cpp/python/). The contract between C++ and Python."""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__version__: str

# ---- runtime -------------------------------------------------------------------------------
def set_runtime_library_candidates(paths: Sequence[str]) -> None:
    """Files to try for libonnxruntime when FACEEDGE_ORT_LIBRARY is unset (before first load)."""
def set_execution_provider_libraries(paths: Sequence[str]) -> None:
    """Plugin execution-provider libraries to register when a session asks for a provider the
    runtime has not built in (ONNX Runtime >= 1.22)."""
def runtime_info() -> Dict[str, object]:
    """Loads the runtime if needed: {version, library_path, build_info, available_providers,
    ep_devices}."""
def status_round_trip(code: int, message: str) -> str:
    """Creates an ORT status and reads it back: '<code>:<message>'. For the binding tests."""

# ---- SIMD ----------------------------------------------------------------------------------
def simd_level() -> str: ...
def available_simd_levels() -> List[str]: ...

# ---- errors --------------------------------------------------------------------------------
def error_codes() -> Dict[str, int]:
    """Every ErrorCode of the core, by C++ name (e.g. 'kNoFace': 222202)."""

# ---- raw ONNX Runtime session (for tests and tools) ----------------------------------------
ProviderList = Sequence[Tuple[str, Dict[str, str]]]

class OrtSession:
    def __init__(self, path: str, providers: ProviderList = ..., allow_fallback: bool = False,
                 threads: int = 0, config: Dict[str, str] = ...) -> None: ...
    @property
    def inputs(self) -> List[Tuple[str, int, List[int]]]: ...   # (name, element type, shape)
    @property
    def outputs(self) -> List[Tuple[str, int, List[int]]]: ...
    @property
    def providers(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    def run(self, feeds: Dict[str, np.ndarray],
            output_names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
        """float32 / int64 / int32 / uint8 / float64 inputs; outputs come back as numpy arrays."""

# ---- vision --------------------------------------------------------------------------------
def estimate_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(5,2) float32 -> (2,3) float32 similarity transform mapping src onto dst."""
def align_face(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """BGR uint8 HxWx3 + (5,2) landmarks -> 112x112x3 BGR uint8 ArcFace crop."""

# ---- engine --------------------------------------------------------------------------------
class Engine:
    def __init__(self, detector_family: str, detector_path: str,
                 embedder_family: str, embedder_path: str,
                 providers: ProviderList = ..., allow_fallback: bool = False,
                 threads: int = 0) -> None: ...
    @property
    def embedding_dim(self) -> int: ...
    @property
    def providers(self) -> List[str]: ...
    def detect(self, image: np.ndarray, max_face_num: int = 1, face_sort_type: int = 0,
               min_face_size: float = 0.0, score_threshold: float = 0.8
               ) -> Dict[str, np.ndarray]:
        """image: C-contiguous BGR uint8 HxWx3. score_threshold: the detector's, per call
        (FaceEngine passes its det_threshold). Returns boxes (n,4) [x,y,w,h] float32,
        scores (n,), landmarks (n,5,2), angles (n,3) [yaw,pitch,roll] — already sorted/limited."""
    def embed(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """landmarks (n,5,2) float32 -> (n, embedding_dim) float32, L2-normalised rows."""

# ---- search kernels and gallery (cpp/src/search/) -------------------------------------------
def set_simd_level(name: Optional[str]) -> None:
    """Caps the kernels' SIMD level ('serial', 'sse', 'avx2', 'avx512', 'avx512vnni', 'neon',
    'neondotprod': one of available_simd_levels(), else InvalidParameterError); None restores
    the detected one. For tests and benchmarks; galleries built before keep their level."""
def dot_many_f32(query: np.ndarray, rows: np.ndarray, level: Optional[str] = None) -> np.ndarray:
    """(d,) float32 x (n, d) float32 -> (n,) float32 inner products with the given kernel level.
    A 2-D query (m, d) gives (m, n) through the level's batch kernel."""
def sum_f32(values: np.ndarray, level: Optional[str] = None) -> float:
    """The float32 sum of every value, read once front to back with the level's kernel: the
    read-bandwidth yardstick benchmarks set the fp32 scan against (same bytes, no multiply)."""
def dot_many_i8(query: np.ndarray, rows: np.ndarray, level: Optional[str] = None) -> np.ndarray:
    """(d,) int8 x (n, d) int8 -> (n,) int32 inner products with the given kernel level (rows are
    packed into the gallery's 16-row tile layout first). A 2-D query (m, d) gives (m, n)."""

class Gallery:
    def __init__(self, dim: int, storage: str = "float32",
                 vectors: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
        """storage: 'float32' (exact, keeps the vectors) or 'int8' (int8 scan + exact fp32
        re-rank; keeps only the int8 codes). int8 needs ``vectors``: called from searches with
        int64 face ids (n,), it returns their exact float32 vectors (n, dim), a row of NaN for a
        face it no longer holds (a FaceLibrary passes its file's reader). float32 ignores it."""
    @property
    def dim(self) -> int: ...
    @property
    def storage(self) -> str: ...
    @property
    def simd_level(self) -> str: ...
    @property
    def memory_bytes(self) -> int: ...
    @property
    def search_threads(self) -> int:
        """Threads an exact (float32) scan of a large gallery is split over; setting 0 restores
        the automatic count (CPUs, at most 4). Scans under ~4 MB a thread stay on the caller."""
    @search_threads.setter
    def search_threads(self, threads: int) -> None: ...
    def __len__(self) -> int: ...
    def add(self, face_ids: np.ndarray, user_keys: np.ndarray, group_keys: np.ndarray,
            vectors: np.ndarray) -> None:
        """int64 (n,), int64 (n,), int32 (n,), float32 (n, dim) L2-normalised rows."""
    def remove(self, face_ids: np.ndarray) -> int: ...
    def clear(self) -> None: ...
    def search(self, queries: np.ndarray, max_users: int = 1,
               group_keys: Optional[Sequence[int]] = None, user_key: int = -1,
               min_cosine: float = -1.0) -> List[Dict[str, np.ndarray]]:
        """queries float32 (n, dim) -> per query {user_keys int64 (k,), face_ids int64 (k,),
        group_keys int32 (k,), cosines float32 (k,)}, best first, k <= max_users."""

# ---- quality and liveness (issue 4: cpp/src/quality/, cpp/src/models/minifasnet_liveness.cpp) --
def face_quality(image: np.ndarray, boxes: np.ndarray, landmarks: np.ndarray) -> Dict[str, np.ndarray]:
    """BGR uint8 HxWx3, boxes (n,4) [x,y,w,h], landmarks (n,5,2) -> {blur float32 (n,) in [0,1]
    (0 sharp), illumination float32 (n,) in [0,255] (mean luma Y of the face box),
    completeness int32 (n,) 0/1 (1 when both the box and the head area its 5 landmarks imply lie
    inside the image: a cut face often still gets a box that stops at the border),
    size float32 (n,) (shorter box side)}."""

def liveness_crop_rect(width: int, height: int, box: np.ndarray, scale: float
                       ) -> Tuple[int, int, int, int]:
    """The MiniFASNet patch for box (4,) [x,y,w,h]: (left, top, right, bottom), inclusive. For tests."""
def liveness_crop(image: np.ndarray, box: np.ndarray, scale: float, width: int = 80,
                  height: int = 80) -> np.ndarray:
    """One face's network input: (height, width, 3) float32 BGR 0..255, stretched bilinear. For tests."""

class Liveness:
    def __init__(self, models: Sequence[Tuple[str, str, float]], providers: ProviderList = ...,
                 allow_fallback: bool = False, threads: int = 0) -> None:
        """models: (family, path, crop scale) per member of the fused set, e.g.
        [("minifasnet_liveness", ".../minifasnet_v2_2.7_80x80.onnx", 2.7),
         ("minifasnet_liveness", ".../minifasnet_v1se_4.0_80x80.onnx", 4.0)]."""
    @property
    def providers(self) -> List[str]: ...
    def score(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """BGR uint8 HxWx3 + boxes (n,4) -> (n,3) float32: the members' softmax vectors summed
        and divided by their count (index 1 = live). All faces in one batch per member."""

class Attribute:
    def __init__(self, family: str, path: str, margin: float = 0.0,
                 providers: ProviderList = ..., allow_fallback: bool = False,
                 threads: int = 0) -> None:
        """One face-attribute classifier, e.g. ("mini_xception_attribute",
        ".../gender_mini_xception_imdb.onnx", 0.1). margin: fraction of the box's width / height
        added on each side of the crop (clamped to the image)."""
    @property
    def classes(self) -> int: ...
    @property
    def providers(self) -> List[str]: ...
    def predict(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """BGR uint8 HxWx3 + boxes (n,4) [x,y,w,h] -> (n, C) float32 softmax (the manifest's
        labels order). All faces in one batch."""

# ---- dense landmarks (cpp/src/models/openseeface_landmarker.cpp) ------------------------------
class Landmarks:
    def __init__(self, family: str, path: str, providers: ProviderList = ...,
                 allow_fallback: bool = False, threads: int = 0) -> None:
        """e.g. ("openseeface_landmarker", ".../openseeface_lm_model0_opt.onnx"): 66 points."""
    @property
    def points(self) -> int: ...
    @property
    def providers(self) -> List[str]: ...
    def locate(self, image: np.ndarray, boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """BGR uint8 HxWx3 + boxes (n,4) [x,y,w,h] -> (points (n,P,2) float32 image coordinates,
        confidence (n,P) float32 0..1). All faces in one batch."""

# ---- tracking (cpp/src/tracking/) ------------------------------------------------------------
class Tracker:
    def __init__(self, min_iou: float = 0.3, max_size_change: float = 0.4,
                 max_landmark_shift: float = 0.25, max_missed: int = 6, min_hits: int = 3,
                 velocity_gain: float = 0.5, duplicate_iou: float = 0.5) -> None: ...
    def predict(self) -> None:
        """Moves every track one frame along its velocity (once per frame, before update)."""
    def update(self, boxes: np.ndarray, scores: np.ndarray, landmarks: np.ndarray,
               covered: Optional[Sequence[bool]] = None) -> Dict[str, np.ndarray]:
        """(n,4), (n,), (n,5,2) -> {detection_track int64 (n,) (0: a duplicate), confirmed,
        ended, dropped: int64 arrays of track ids}. covered: one flag per track (tracks order),
        False for a track the detector did not look at (neither matched nor missed)."""
    def end_all(self) -> List[int]: ...
    def end_track(self, track_id: int) -> bool: ...
    @property
    def tracks(self) -> Dict[str, np.ndarray]:
        """ids int64 (t,), boxes (t,4), landmarks (t,5,2), scores (t,), velocity (t,4)
        [vx,vy,vw,vh] per frame, age / hits / missed int32 (t,), confirmed bool (t,)."""
    def __len__(self) -> int: ...

def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n,4) x (m,4) [x,y,w,h] -> (n,m) intersection over union."""

class SceneCutDetector:
    def __init__(self, threshold: float = 0.1) -> None: ...
    def observe(self, frame: np.ndarray) -> bool:
        """True when this BGR frame starts a new shot (colour-histogram distance > threshold)."""
    @property
    def last_distance(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    def reset(self) -> None: ...
