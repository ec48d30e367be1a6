import json


def handler(event, context):
    request = event["extensions"]["request"]
    return json.dumps({
        "event-id": event["event-id"],
        "event-type": event["event-type"],
        "event-time": event["event-time"],
        "event-namespace": event["event-namespace"],
        "method": request.method,
        "path": request.path,
        **context,
    })
