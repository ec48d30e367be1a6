def handler(event, context):
    raise RuntimeError("intentional failure")
