import time


def handler(event, context):
    # an I/O-bound handler as most are written: a blocking 100 ms wait (a database, an HTTP call)
    time.sleep(0.1)
    return "done"
