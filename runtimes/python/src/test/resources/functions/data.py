def handler(event, context):
    """Answers the type and value of event['data']."""
    data = event["data"]
    return {"type": type(data).__name__, "value": data.decode() if isinstance(data, bytes) else data}
