import time


def handler(event, context):
    start = time.time()
    time.sleep(1)
    return f"{int(start * 1000)} {int(time.time() * 1000)}"
