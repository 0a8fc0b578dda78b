"""Many gates, one enrolment source: a face library on PostgreSQL (:mod:`.store`) that gates'
SQLite libraries follow (:mod:`.replica`). docs/central.md has the design."""
from .replica import Replica
from .store import CentralStore, open_central

__all__ = ["CentralStore", "open_central", "Replica"]
