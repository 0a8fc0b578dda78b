"""Waiting for a `faceedge serve` started as a subprocess by a test."""
import time

import requests


def wait_until_serving(proc, url: str, timeout: float = 120.0) -> None:
    """Return once ``url`` answers its token endpoint; fail with the server's stderr if the
    process died, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            requests.get(url + "/oauth/2.0/token", timeout=2)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"faceedge serve did not start at {url}"
            time.sleep(0.2)
