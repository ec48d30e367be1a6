import os
import time

STARTED = os.path.join(os.environ["KUBELESS_INSTALL_VOLUME"], "started")


def handler(event, context):
    """Answers "ok" to "quick"; else says it started and sleeps for a minute."""
    if event["data"] == b"quick":
        return "ok"
    open(STARTED, "w").close()
    time.sleep(60)
    return "late"
