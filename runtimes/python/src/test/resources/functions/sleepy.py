import time


def handler(event, context):
    time.sleep(0.1)
    return event["data"]
