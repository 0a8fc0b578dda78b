"""Reading Baidu-shaped error replies in tests: ``error_msg`` must be Baidu's exact text for the
code (python/faceedge/errors.py CODES, checked against Baidu's v3 error table in
tests/test_baidu_replies.py), and what exactly was wrong is in ``error_detail``."""
from faceedge.errors import CODES

# Replies whose text Baidu's docs give differently from the code's usual one.
CASE_TEXTS = {(216100, "already add")}  # user/copy into a group that has the user


def full_message(reply: dict) -> str:
    """``"<error_msg>: <error_detail>"`` of a failed reply, after checking that ``error_msg`` is
    exactly Baidu's text for its code."""
    code, msg = reply["error_code"], reply["error_msg"]
    assert code != 0, reply
    assert msg == CODES[code][1] or (code, msg) in CASE_TEXTS, (code, msg)
    detail = reply.get("error_detail")
    return f"{msg}: {detail}" if detail else msg
