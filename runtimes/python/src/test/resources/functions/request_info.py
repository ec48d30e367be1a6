import bottle


def handler(event, context):
    """Answers what bottle's request accessors give, as JSON."""
    request = event["extensions"]["request"]
    upload = request.files.get("upload")
    return {
        "class": isinstance(request, bottle.BaseRequest),
        "method": request.method,
        "path": request.path,
        "fullpath": request.fullpath,
        "url": request.url,
        "query": dict(request.query),
        "query_attribute": request.query.greeting,
        "query_missing_attribute": request.query.nothing,
        "GET": dict(request.GET),
        "forms": dict(request.forms),
        "POST": sorted(request.POST.keys()),
        "params": dict(request.params),
        "file": None if upload is None else {
            "name": upload.name,
            "filename": upload.filename,
            "content": upload.file.read().decode(),
        },
        "cookies": dict(request.cookies),
        "cookie": request.get_cookie("flavour"),
        "environ": {key: request.environ.get(key) for key in
                    ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR", "HTTP_X_CUSTOM")},
        "content_length": request.content_length,
        "content_type": request.content_type,
        "remote_addr": request.remote_addr,
        "json": request.json,
        "body": request.body.read().decode(),
        "header": request.get_header("X-Custom"),
        "header_default": request.get_header("X-Missing", "fallback"),
        "headers_any_case": [request.headers.get("x-custom"), request.headers.get("X-CUSTOM")],
        "data": type(event["data"]).__name__,
    }
